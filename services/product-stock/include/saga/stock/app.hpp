#pragma once

#include "saga/config/env.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::stock {

/// Builds the product-stock service: pool, consumer of order.created and payment.failed, HTTP.
void Start(const config::Env& env, runtime::StopStack& stops);

}  // namespace saga::stock
