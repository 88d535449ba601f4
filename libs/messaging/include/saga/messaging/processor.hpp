#pragma once

#include <atomic>
#include <functional>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/kafka/consumer.hpp"
#include "saga/kafka/producer.hpp"
#include "saga/messaging/handler.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::messaging {

/// Applies batches exactly once: per batch ONE transaction holding the inbox rows, the handler's
/// changes and the events it emits (outbox rows); its after-commit actions run once that
/// transaction committed. Messages that can never be applied (not an envelope, breaking their
/// declared contract, or data the database refuses) go to `<topic>.dlq` (header `error`); the
/// batch is then applied one event at a time to find them. A failure that may pass (a lost
/// connection, a lock conflict) throws, so the caller redelivers the batch.
class EventProcessor {
 public:
  EventProcessor(std::string service, db::Pool& pool, kafka::Producer& dlq_producer,
                 EventHandler& handler, metrics::Registry& registry);
  void ProcessBatch(const std::vector<kafka::InMessage>& batch);
  /// Called after each batch transaction that applied at least one new event committed (its
  /// outbox rows are now visible): the service hints the relay here.
  void OnCommitted(std::function<void()> hook) { on_committed_ = std::move(hook); }

 private:
  struct Rejected {
    const kafka::InMessage* message;
    std::string error;
  };
  /// Applies `events` in one transaction; element i says whether event i was new.
  std::vector<bool> Apply(const std::vector<Event>& events);
  void Count(const kafka::InMessage& m, bool fresh);
  void SendToDlq(const std::vector<Rejected>& rejected);

  std::string service_;
  db::Pool& pool_;
  kafka::Producer& dlq_;
  EventHandler& handler_;
  std::function<void()> on_committed_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Histogram& batch_events_;   // messages per batch
  prometheus::Histogram& batch_seconds_;  // time to apply a batch (its transaction and DLQ sends)
};

/// Whether one consumer member makes progress. A batch that keeps failing with an error that may
/// pass (docs/architecture.md, "error classes") is retried with backoff forever; from its first
/// failure until a batch is applied again the member is failing, and once that has lasted
/// CONSUMER_STALL_MS it is stalled: /health/ready answers 503 with Stalled()'s reason.
class ProgressWatch {
 public:
  /// `stalled_seconds` (may be null) shows the seconds since the first failure (0 when none).
  explicit ProgressWatch(prometheus::Gauge* stalled_seconds = nullptr) : stalled_seconds_(stalled_seconds) {}
  void Progressed();
  void Failed(const kafka::InMessage& first, const std::string& error);
  /// Why the member is stalled, if it has been failing for at least `after`: the topic, the
  /// partition and the last error.
  std::optional<std::string> Stalled(std::chrono::milliseconds after) const;

 private:
  mutable std::mutex mu_;
  bool failing_ = false;
  std::chrono::steady_clock::time_point since_{};
  std::string topic_;
  std::int32_t partition_ = 0;
  std::string error_;
  prometheus::Gauge* stalled_seconds_;
};

/// A consumer thread feeding an EventProcessor; offsets are committed after each batch applied.
class ConsumerLoop {
 public:
  ConsumerLoop(const kafka::ConsumerOptions& options, EventProcessor& processor);
  ~ConsumerLoop();
  void Start();
  void Stop();

 private:
  kafka::ConsumerOptions options_;
  EventProcessor& processor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace saga::messaging
