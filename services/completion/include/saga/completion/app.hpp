#pragma once

#include "saga/config/env.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::completion {

/// Builds the completion service: pool, consumer of every saga event, HTTP.
void Start(const config::Env& env, runtime::StopStack& stops);

}  // namespace saga::completion
