#pragma once

#include <vector>

#include "saga/kafka/producer.hpp"
#include "saga/messaging/processor.hpp"
#include "support/stack.hpp"

namespace saga::test {

/// A service handler behind the real EventProcessor (inbox, batch transaction, DLQ on the dev
/// broker) on a scratch copy of the service's schema.
template <typename Handler>
struct Harness {
  ScratchSchema schema;
  db::Pool pool;
  metrics::Registry registry;
  kafka::Producer dlq;
  Handler handler;
  messaging::EventProcessor processor;

  explicit Harness(const std::string& source, const std::vector<std::string>& rows_of = {})
      : schema(source, rows_of),
        pool(schema.Db()),
        dlq(kafka::ProducerOptions{.bootstrap = Bootstrap()}),
        processor("test", pool, dlq, handler, registry) {}

  /// Delivers the envelopes as one poll batch.
  void Deliver(const std::vector<contracts::Envelope>& events) {
    std::vector<kafka::InMessage> batch;
    for (const auto& e : events) batch.push_back(Delivered(e, static_cast<std::int64_t>(batch.size())));
    processor.ProcessBatch(batch);
  }
  /// Outbox envelopes of one type.
  std::vector<contracts::Envelope> Emitted(const std::string& type) const {
    std::vector<contracts::Envelope> out;
    for (auto& e : schema.Outbox()) {
      if (e.event_type == type) out.push_back(std::move(e));
    }
    return out;
  }
};

}  // namespace saga::test
