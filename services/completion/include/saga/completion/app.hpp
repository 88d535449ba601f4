#pragma once

#include <cstdint>

#include "saga/config/common.hpp"
#include "saga/contracts/saga.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::completion {

struct Config {
  config::CommonConfig common;
  std::int64_t deadline_ms = contracts::kDefaultDeadlineMs;  // SAGA_DEADLINE_MS
  runtime::RetentionOptions retention;                       // RETENTION_S, RETENTION_BATCH
};

/// The common settings with this service's defaults (port, database account), then
/// SAGA_DEADLINE_MS.
Config LoadConfig(const config::Env& env);

inline constexpr runtime::Program kProgram{
    .service = "completion",
    .summary = "The completion service of outbox-saga: keeps every saga's timeline from all its events, decides its final status (order.completed or order.cancelled) and serves /sagas."};

/// Builds the completion service: pool, stuck-saga gauges, consumer of every saga event, HTTP.
void Start(const Config& cfg, runtime::StopStack& stops);

}  // namespace saga::completion
