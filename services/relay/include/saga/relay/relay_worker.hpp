#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "saga/db/pool.hpp"
#include "saga/kafka/producer.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::relay {

/// One worker's settings. The first six come from RelayConfig, which holds their defaults.
struct RelayOptions {
  std::string schema;  // whose `outbox` table this worker drains
  std::size_t batch_size = 0;
  std::chrono::milliseconds idle_max{};    // longest sleep between polls of an empty outbox
  std::chrono::milliseconds busy_pause{};  // sleep after a pass that found less than a full batch
  std::chrono::milliseconds lock_retry{};  // how often a standby retries the lock
  /// After a pass that published rows, a wake-up hint (Wake) starts the next pass no sooner than
  /// this; without hints the worker waits busy_pause.
  std::chrono::milliseconds wake_min_gap{};
  std::chrono::milliseconds error_backoff_max{5000};
  std::chrono::milliseconds stats_interval{1000};
  /// Test-only fault injection: exit the process after the broker acknowledged a batch and
  /// before its rows are deleted (RELAY_FAILPOINT=after_publish).
  bool crash_after_publish = false;
};

/// relay_* metric families, labelled by schema.
class RelayMetrics {
 public:
  explicit RelayMetrics(metrics::Registry& registry);
  prometheus::Family<prometheus::Gauge>& backlog;
  prometheus::Family<prometheus::Gauge>& oldest_age;
  prometheus::Family<prometheus::Gauge>& leader;
  prometheus::Family<prometheus::Counter>& published;
  prometheus::Family<prometheus::Counter>& failures;
  prometheus::Family<prometheus::Histogram>& batch_seconds;
  prometheus::Family<prometheus::Counter>& wake_hints;
};

/// Drains one schema's outbox into Kafka. Only the holder of the MySQL named lock
/// `outbox_relay.<schema>` publishes; the lock lives on the same connection that reads and
/// deletes, so losing the connection means losing the lock before anything else is deleted.
class RelayWorker {
 public:
  RelayWorker(RelayOptions options, db::Options db, kafka::ProducerOptions kafka,
              RelayMetrics& metrics);
  ~RelayWorker();

  /// Loops until `stop`: take the lock, publish batches, back off when idle or failing.
  void Run(const std::atomic<bool>& stop);
  /// One batch if this worker holds the lock: returns rows published and deleted.
  std::size_t PublishOnce();
  /// Tries to take the lock (connecting if needed); true if this worker holds it.
  bool TryLead();
  /// A hint that the outbox has new rows: an idle worker starts its next pass now, one that has
  /// just published starts it once wake_min_gap has passed. Safe from any thread.
  void Wake();

  bool Leading() const { return leading_.load(); }
  bool DatabaseOk() const { return db_ok_.load(); }
  bool KafkaOk() const { return kafka_ok_.load(); }
  const std::string& Schema() const { return options_.schema; }

 private:
  struct Batch {
    std::vector<std::int64_t> ids;
    std::vector<kafka::OutMessage> messages;
  };
  /// The oldest outbox rows (up to batch_size) as messages.
  Batch ReadBatch();
  /// Deletes the rows the broker acknowledged.
  void DeletePublished(const std::vector<std::int64_t>& ids);
  /// A database failure: counted, the connection dropped (the next pass reconnects).
  void DatabaseFailed();
  void UpdateStats();
  void DropConnection();
  /// Sleeps until `until`, or until Wake() is called and `earliest` has passed, or until `stop`.
  void Pause(std::chrono::steady_clock::time_point until,
             std::chrono::steady_clock::time_point earliest, const std::atomic<bool>& stop);

  RelayOptions options_;
  db::Options db_options_;
  kafka::Producer producer_;
  RelayMetrics& metrics_;
  std::unique_ptr<db::Connection> conn_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> db_ok_{false};
  std::atomic<bool> kafka_ok_{true};
  std::chrono::steady_clock::time_point next_stats_{};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool woken_ = false;
  std::string select_sql_;
  std::string delete_prefix_;
  std::string stats_sql_;
};

}  // namespace saga::relay
