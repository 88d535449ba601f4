#pragma once

#include "saga/config/common.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::payment {

/// The common settings with this service's defaults (port, database account).
config::CommonConfig LoadConfig(const config::Env& env);

inline constexpr runtime::Program kProgram{
    .service = "payment",
    .summary = "The payment service of outbox-saga: debits the user once per stock.reserved (payment.completed or payment.failed) and serves balances and charges."};

/// Builds the payment service: pool, consumer of stock.reserved, HTTP.
void Start(const config::CommonConfig& cfg, runtime::StopStack& stops);

}  // namespace saga::payment
