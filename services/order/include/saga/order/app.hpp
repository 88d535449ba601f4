#pragma once

#include <cstddef>
#include <cstdint>

#include "saga/config/common.hpp"
#include "saga/contracts/saga.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::order {

struct Config {
  config::CommonConfig common;
  std::size_t max_batch = 32;  // ORDER_BATCH_MAX
  int batches_in_flight = 2;   // ORDER_BATCHES_IN_FLIGHT
  bool relay_hints = false;    // ORDER_RELAY_HINTS
  std::int64_t max_outbox_backlog = 20000;  // ORDER_MAX_OUTBOX_BACKLOG
  std::int64_t max_outbox_age_ms = 5000;    // ORDER_MAX_OUTBOX_AGE_MS
  std::int64_t max_queued = 2000;           // ORDER_MAX_QUEUED
  std::int64_t max_open = 3000;             // ORDER_MAX_OPEN
  std::int64_t deadline_ms = contracts::kDefaultDeadlineMs;  // SAGA_DEADLINE_MS
  runtime::RetentionOptions retention;                       // RETENTION_S, RETENTION_BATCH

  /// The common settings plus ORDER_BATCH_MAX, ORDER_BATCHES_IN_FLIGHT, ORDER_RELAY_HINTS,
  /// ORDER_MAX_OUTBOX_BACKLOG, ORDER_MAX_OUTBOX_AGE_MS, ORDER_MAX_QUEUED, ORDER_MAX_OPEN, SAGA_DEADLINE_MS and the retention.
  static Config Load(const config::Env& env);
};

inline constexpr runtime::Program kProgram{
    .service = "order",
    .summary = "The order service of outbox-saga: POST /orders stores an order and its "
               "order.created event in one transaction; GET /orders/{orderId} shows it with the "
               "final status that completion announces."};

/// Builds the order service: pool, OrderService, HTTP server, final-status consumer.
void Start(const Config& cfg, runtime::StopStack& stops);

}  // namespace saga::order
