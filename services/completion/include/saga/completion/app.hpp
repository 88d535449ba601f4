#pragma once

#include "saga/config/common.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::completion {

/// The common settings with this service's defaults (port, database account).
config::CommonConfig LoadConfig(const config::Env& env);

inline constexpr runtime::Program kProgram{
    .service = "completion",
    .summary = "The completion service of outbox-saga: keeps every saga's timeline from all its events, decides its final status (order.completed or order.cancelled) and serves /sagas."};

/// Builds the completion service: pool, consumer of every saga event, HTTP.
void Start(const config::CommonConfig& cfg, runtime::StopStack& stops);

}  // namespace saga::completion
