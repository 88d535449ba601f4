#include "saga/messaging/processor.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "saga/contracts/trace.hpp"
#include "saga/db/error.hpp"
#include "saga/log/log.hpp"
#include "saga/outbox/outbox.hpp"

namespace saga::messaging {

namespace {

std::vector<outbox::Pending> ToOutbox(std::vector<Emit>&& events) {
  std::vector<outbox::Pending> out;
  out.reserve(events.size());
  for (auto& e : events) {
    const auto& cause = e.cause->envelope;
    auto env = contracts::Envelope::New(std::move(e.type), cause.order_id, std::move(e.payload),
                                        cause.event_id);
    if (!e.event_id.empty()) env.event_id = std::move(e.event_id);
    if (!e.occurred_at.empty()) env.occurred_at = std::move(e.occurred_at);
    out.push_back({std::move(env), e.cause->traceparent});
  }
  return out;
}

// An event that can never be applied, however often it is retried: it breaks its declared
// contract, or the database refuses its data (db::Error::IsPermanent). It goes to the DLQ. Any
// other failure may pass (a lost connection, a lock conflict, missing grants) and propagates, so
// the batch is retried with backoff. docs/architecture.md lists the classes;
// docs/adr/0012-only-known-data-errors-are-poison.md says why.
bool IsPoison(const std::exception& e) {
  if (dynamic_cast<const contracts::ContractError*>(&e) != nullptr) return true;
  const auto* db = dynamic_cast<const db::Error*>(&e);
  return db != nullptr && db->IsPermanent();
}

}  // namespace

EventProcessor::EventProcessor(std::string service, db::Pool& pool, kafka::Producer& dlq_producer,
                               EventHandler& handler, metrics::Registry& registry)
    : service_(std::move(service)),
      pool_(pool),
      dlq_(dlq_producer),
      handler_(handler),
      events_(prometheus::BuildCounter()
                  .Name("consumer_events_total")
                  .Help("Consumed events by topic and result: applied, duplicate or dlq")
                  .Register(registry.Raw())),
      batch_events_(prometheus::BuildHistogram()
                        .Name("consumer_batch_messages")
                        .Help("Messages per consumed batch (one transaction per batch)")
                        .Register(registry.Raw())
                        .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 500})),
      batch_seconds_(prometheus::BuildHistogram()
                         .Name("consumer_batch_seconds")
                         .Help("Time to apply a consumed batch: its transaction and any DLQ sends")
                         .Register(registry.Raw())
                         .Add({}, metrics::LatencyBuckets())) {}

std::vector<bool> EventProcessor::Apply(const std::vector<Event>& events) {
  std::vector<std::pair<std::string, std::string>> ids;
  ids.reserve(events.size());
  for (const auto& e : events) ids.emplace_back(e.envelope.event_id, e.envelope.event_type);
  Output output;
  auto fresh = db::InTransaction(pool_, [&](db::Transaction& tx) {
    output = {};  // a retried attempt starts over
    const auto applied = outbox::RecordInbox(tx, ids);
    std::vector<const Event*> todo;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (applied[i]) todo.push_back(&events[i]);
    }
    if (!todo.empty()) {
      output = handler_.HandleBatch(todo, tx);
      outbox::AppendMany(tx, ToOutbox(std::move(output.events)));
    }
    tx.Commit();
    return applied;
  });
  for (auto& action : output.after_commit) action();
  if (on_committed_ && std::find(fresh.begin(), fresh.end(), true) != fresh.end()) on_committed_();
  return fresh;
}

void EventProcessor::Count(const kafka::InMessage& m, bool fresh) {
  events_.Add({{"topic", m.topic}, {"result", fresh ? "applied" : "duplicate"}}).Increment();
}

void EventProcessor::ProcessBatch(const std::vector<kafka::InMessage>& batch) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<const kafka::InMessage*> sources;  // sources[i] carried events[i]
  std::vector<Event> events;
  std::vector<Rejected> rejected;
  for (const auto& m : batch) {
    try {
      auto env = contracts::Envelope::Parse(m.value);
      if (env.event_type != m.topic) {
        throw contracts::ContractError("eventType '" + env.event_type + "' does not match topic");
      }
      if (env.event_id.size() > 36) throw contracts::ContractError("eventId longer than 36 characters");
      events.push_back({std::move(env), contracts::ContinueTrace(m.HeaderValue("traceparent").value_or(""))});
      sources.push_back(&m);
    } catch (const contracts::ContractError& e) {
      rejected.push_back({&m, e.what()});
    }
  }
  if (!events.empty()) {
    try {
      const auto fresh = Apply(events);
      for (std::size_t i = 0; i < events.size(); ++i) Count(*sources[i], fresh[i]);
    } catch (const std::exception& e) {
      if (!IsPoison(e)) throw;
      // Some event in the batch can never be applied: find it by applying one at a time.
      for (std::size_t i = 0; i < events.size(); ++i) {
        try {
          Count(*sources[i], Apply({events[i]})[0]);
        } catch (const std::exception& one) {
          if (!IsPoison(one)) throw;
          rejected.push_back({sources[i], one.what()});
        }
      }
    }
  }
  SendToDlq(rejected);
  batch_events_.Observe(static_cast<double>(batch.size()));
  batch_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void EventProcessor::SendToDlq(const std::vector<Rejected>& rejected) {
  if (rejected.empty()) return;
  std::vector<kafka::OutMessage> out;
  for (const auto& r : rejected) {
    kafka::OutMessage m{r.message->topic + ".dlq", r.message->key, r.message->value, r.message->headers};
    m.headers.push_back({"error", r.error});
    m.headers.push_back({"source-topic", r.message->topic});
    m.headers.push_back({"source-partition", std::to_string(r.message->partition)});
    m.headers.push_back({"source-offset", std::to_string(r.message->offset)});
    m.headers.push_back({"consumer", service_});
    log::Warn("message sent to DLQ", {{"topic", r.message->topic},
                                       {"partition", r.message->partition},
                                       {"offset", r.message->offset},
                                       {"error", r.error}});
    events_.Add({{"topic", r.message->topic}, {"result", "dlq"}}).Increment();
    out.push_back(std::move(m));
  }
  for (const auto& result : dlq_.SendAndWait(out)) {
    if (!result.ok) throw kafka::KafkaError("DLQ publish failed: " + result.error);
  }
}

void ProgressWatch::Progressed() {
  std::lock_guard lock(mu_);
  failing_ = false;
  if (stalled_seconds_ != nullptr) stalled_seconds_->Set(0);
}

void ProgressWatch::Failed(const kafka::InMessage& first, const std::string& error) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!failing_) {
    failing_ = true;
    since_ = now;
  }
  topic_ = first.topic;
  partition_ = first.partition;
  error_ = error;
  if (stalled_seconds_ != nullptr) stalled_seconds_->Set(std::chrono::duration<double>(now - since_).count());
}

std::optional<std::string> ProgressWatch::Stalled(std::chrono::milliseconds after) const {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!failing_ || now - since_ < after) return std::nullopt;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - since_).count();
  return "no progress for " + std::to_string(seconds) + " s on topic " + topic_ + " partition " +
         std::to_string(partition_) + ": " + error_;
}

ConsumerLoop::ConsumerLoop(const kafka::ConsumerOptions& options, EventProcessor& processor)
    : options_(options), processor_(processor) {}

ConsumerLoop::~ConsumerLoop() { Stop(); }

void ConsumerLoop::Start() {
  stop_ = false;
  thread_ = std::thread([this] {
    try {
      kafka::Consumer consumer(options_);
      consumer.Run([this](const auto& batch) { processor_.ProcessBatch(batch); }, stop_);
    } catch (const std::exception& e) {
      log::Error("consumer stopped on an error", {{"group", options_.group_id}, {"error", e.what()}});
    }
  });
}

void ConsumerLoop::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace saga::messaging
