#pragma once

#include "saga/config/common.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::stock {

struct Config {
  config::CommonConfig common;
  std::string admin_token;  // ADMIN_TOKEN
  runtime::RetentionOptions retention;  // RETENTION_S, RETENTION_BATCH

  /// The common settings with this service's defaults (port, database account), and
  /// ADMIN_TOKEN.
  static Config Load(const config::Env& env);
};

inline constexpr runtime::Program kProgram{
    .service = "product-stock",
    .summary = "The product-stock service of outbox-saga: reserves every item of an order.created or none (stock.reserved or stock.rejected), gives the stock back on payment.failed (stock.released), and serves the product catalogue."};

/// Builds the product-stock service: pool, consumer of order.created and payment.failed, HTTP.
void Start(const Config& cfg, runtime::StopStack& stops);

}  // namespace saga::stock
