#pragma once

#include "saga/config/common.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::payment {

struct Config {
  config::CommonConfig common;
  std::string admin_token;  // ADMIN_TOKEN
  runtime::RetentionOptions retention;  // RETENTION_S, RETENTION_BATCH

  /// The common settings with this service's defaults (port, database account), and
  /// ADMIN_TOKEN.
  static Config Load(const config::Env& env);
};

inline constexpr runtime::Program kProgram{
    .service = "payment",
    .summary = "The payment service of outbox-saga: debits the user once per stock.reserved (payment.completed or payment.failed), serves balances and charges, and issues coupons first come, first served."};

/// Builds the payment service: pool, consumer of stock.reserved, HTTP.
void Start(const Config& cfg, runtime::StopStack& stops);

}  // namespace saga::payment
