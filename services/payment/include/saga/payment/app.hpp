#pragma once

#include "saga/config/env.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::payment {

/// Builds the payment service: pool, consumer of stock.reserved, HTTP.
void Start(const config::Env& env, runtime::StopStack& stops);

}  // namespace saga::payment
