#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "saga/contracts/envelope.hpp"
#include "saga/db/pool.hpp"
#include "saga/kafka/consumer.hpp"
#include "saga/kafka/producer.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::messaging {

/// A consumed event: its envelope and the traceparent to give the events it causes.
struct Event {
  contracts::Envelope envelope;
  std::string traceparent;
};

/// A service's reaction to events. Runs inside the batch's transaction.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  /// Called first in every batch transaction with all decodable events of the batch (some may
  /// turn out to be duplicates): the place to lock shared rows in one fixed order.
  virtual void Prepare(const std::vector<Event>& events, db::Transaction& tx);
  /// Applies one new event: business change plus outbox rows, all through `tx`. Throws
  /// contracts::ContractError if the event can never be processed (it goes to the DLQ).
  virtual void Handle(const Event& event, db::Transaction& tx) = 0;
  /// Applies the batch's new events (in order) in one go. The default calls Handle for each; a
  /// handler overrides it to do the work of many events in a few multi-row statements.
  virtual void HandleBatch(const std::vector<const Event*>& events, db::Transaction& tx);
  /// Called after the batch transaction committed (not after a rollback or a retried attempt,
  /// which start again with Prepare): the place to tell others what is now durable.
  virtual void Committed();
};

/// Applies batches exactly once: per batch ONE transaction holding the inbox rows, the handler's
/// changes and its outbox rows. Unprocessable messages go to `<topic>.dlq` (header `error`).
/// A failure that may pass (database, broker) throws, so the caller redelivers the batch.
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
