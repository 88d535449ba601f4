#pragma once

#include <string>
#include <vector>

#include "saga/config/common.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::relay {

struct RelayConfig {
  config::CommonConfig common;
  std::vector<std::string> schemas;
  int batch_size = 500;
  int idle_max_ms = 100;
  int busy_pause_ms = 30;
  int lock_retry_ms = 1000;
  std::string wake_bind;  // host:port (UDP) for the services' hints; empty: no hints
  int wake_min_gap_ms = 5;
  int message_timeout_ms = 10000;
  bool crash_after_publish = false;

  /// RELAY_SCHEMAS, RELAY_BATCH_SIZE, RELAY_IDLE_MAX_MS, RELAY_BUSY_PAUSE_MS, RELAY_LOCK_RETRY_MS,
  /// RELAY_WAKE_BIND, RELAY_WAKE_MIN_GAP_MS, RELAY_MESSAGE_TIMEOUT_MS, RELAY_FAILPOINT plus the
  /// common settings.
  static RelayConfig Load(const config::Env& env);
};

inline constexpr runtime::Program kProgram{
    .service = "relay",
    .summary = "The outbox relay of outbox-saga: publishes each schema's outbox rows to Kafka in "
               "id order and deletes them once the broker acknowledged them; one relay per "
               "schema publishes at a time, others stand by."};

/// Starts one worker thread per schema and the HTTP server (health, metrics).
void Start(const RelayConfig& cfg, runtime::StopStack& stops);

}  // namespace saga::relay
