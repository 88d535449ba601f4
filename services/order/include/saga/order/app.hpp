#pragma once

#include "saga/config/env.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::order {

/// Builds the order service from the environment: pool, OrderService, HTTP server.
void Start(const config::Env& env, runtime::StopStack& stops);

}  // namespace saga::order
