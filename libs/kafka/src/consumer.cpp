#include "saga/kafka/consumer.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "conf.hpp"
#include "saga/log/log.hpp"

namespace saga::kafka {
namespace {

using PartitionKey = std::pair<std::string, std::int32_t>;

struct TopicPartitions {
  std::vector<RdKafka::TopicPartition*> list;
  ~TopicPartitions() { RdKafka::TopicPartition::destroy(list); }
};

// Receives librdkafka's statistics (served from consume()) and hands the lags on.
class LagEvents : public RdKafka::EventCb {
 public:
  explicit LagEvents(LagHandler on_lag) : on_lag_(std::move(on_lag)) {}
  void event_cb(RdKafka::Event& event) override {
    // With an event callback set, librdkafka routes its log lines and errors here too.
    if (event.type() == RdKafka::Event::EVENT_LOG || event.type() == RdKafka::Event::EVENT_ERROR) {
      log::Warn("kafka consumer", {{"facility", event.fac()}, {"error", event.str()}});
      return;
    }
    if (event.type() != RdKafka::Event::EVENT_STATS) return;
    try {
      on_lag_(ParseConsumerLag(event.str()));
    } catch (const std::exception& e) {
      log::Warn("cannot read consumer statistics", {{"error", e.what()}});
    }
  }

 private:
  LagHandler on_lag_;
};

// Takes what the group assigns (eager or cooperative) and reports how many partitions this member
// holds. Served from consume(), on the consumer's own thread.
class Rebalance : public RdKafka::RebalanceCb {
 public:
  explicit Rebalance(std::function<void(std::size_t)> on_assigned) : on_assigned_(std::move(on_assigned)) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (cooperative) {
        Check(consumer->incremental_assign(partitions));
        held_ += partitions.size();
      } else {
        Check(consumer->assign(partitions));
        held_ = partitions.size();
      }
    } else {
      if (cooperative) {
        Check(consumer->incremental_unassign(partitions));
        held_ -= std::min(held_, partitions.size());
      } else {
        Check(consumer->unassign());
        held_ = 0;
      }
    }
    log::Info("consumer partitions", {{"event", err == RdKafka::ERR__ASSIGN_PARTITIONS ? "assigned" : "revoked"},
                                      {"partitions", partitions.size()},
                                      {"held", held_}});
    on_assigned_(held_);
  }

 private:
  static void Check(RdKafka::Error* error) {
    if (error == nullptr) return;
    log::Warn("consumer rebalance failed", {{"error", error->str()}});
    delete error;
  }
  static void Check(RdKafka::ErrorCode code) {
    if (code != RdKafka::ERR_NO_ERROR) log::Warn("consumer rebalance failed", {{"error", RdKafka::err2str(code)}});
  }
  std::function<void(std::size_t)> on_assigned_;
  std::size_t held_ = 0;
};

}  // namespace

std::vector<PartitionLag> ParseConsumerLag(const std::string& stats_json) {
  const auto stats = nlohmann::json::parse(stats_json);
  std::vector<PartitionLag> out;
  const auto topics = stats.find("topics");
  if (topics == stats.end() || !topics->is_object()) return out;
  for (const auto& [topic, t] : topics->items()) {
    const auto parts = t.find("partitions");
    if (parts == t.end() || !parts->is_object()) continue;
    for (const auto& [id, p] : parts->items()) {
      const auto partition = p.value("partition", -1);
      const auto lag = p.value("consumer_lag", std::int64_t{-1});
      if (partition < 0 || lag < 0) continue;
      out.push_back({topic, partition, lag});
    }
  }
  return out;
}

struct Consumer::Impl {
  ConsumerOptions options;
  std::unique_ptr<LagEvents> lag_events;  // must outlive `consumer`
  std::unique_ptr<Rebalance> rebalance;   // must outlive `consumer`
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
};

Consumer::Consumer(const ConsumerOptions& o) : impl_(std::make_unique<Impl>()) {
  impl_->options = o;
  Properties props{
      {"bootstrap.servers", o.bootstrap},
      {"group.id", o.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", "10"},
      {"socket.nagle.disable", "true"},
      // A member that leaves is only rebalanced out after its session timeout on the
      // development broker; 6 s (real Kafka's default minimum) keeps restarts quick.
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "1000"},
      {"log_level", "4"},
  };
  if (o.on_lag) props["statistics.interval.ms"] = std::to_string(o.lag_interval.count());
  for (const auto& [k, v] : o.extra) props[k] = v;
  auto conf = detail::MakeConf(props);
  std::string err;
  if (o.on_lag) {
    impl_->lag_events = std::make_unique<LagEvents>(o.on_lag);
    if (conf->set("event_cb", impl_->lag_events.get(), err) != RdKafka::Conf::CONF_OK) {
      throw KafkaError("cannot set event_cb: " + err);
    }
  }
  if (o.on_assigned) {
    impl_->rebalance = std::make_unique<Rebalance>(o.on_assigned);
    if (conf->set("rebalance_cb", impl_->rebalance.get(), err) != RdKafka::Conf::CONF_OK) {
      throw KafkaError("cannot set rebalance_cb: " + err);
    }
  }
  impl_->consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!impl_->consumer) throw KafkaError("cannot create consumer: " + err);
  const auto rc = impl_->consumer->subscribe(o.topics);
  if (rc != RdKafka::ERR_NO_ERROR) throw KafkaError("subscribe failed: " + RdKafka::err2str(rc));
}

Consumer::~Consumer() {
  if (impl_ && impl_->consumer) impl_->consumer->close();
}

std::vector<InMessage> Consumer::Poll() {
  std::vector<InMessage> batch;
  auto wait = static_cast<int>(impl_->options.poll_wait.count());
  while (batch.size() < impl_->options.max_batch) {
    std::unique_ptr<RdKafka::Message> msg(impl_->consumer->consume(wait));
    wait = 0;
    if (msg->err() == RdKafka::ERR__TIMED_OUT || msg->err() == RdKafka::ERR__PARTITION_EOF) break;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      log::Warn("kafka consume error", {{"error", msg->errstr()}});
      break;
    }
    InMessage in;
    in.topic = msg->topic_name();
    in.partition = msg->partition();
    in.offset = msg->offset();
    if (msg->key() != nullptr) in.key = *msg->key();
    in.value.assign(static_cast<const char*>(msg->payload()), msg->len());
    if (const RdKafka::Headers* hs = msg->headers()) {
      for (const auto& h : hs->get_all()) {
        in.headers.push_back(Header{h.key(), std::string(static_cast<const char*>(h.value()),
                                                         h.value_size())});
      }
    }
    batch.push_back(std::move(in));
  }
  return batch;
}

void Consumer::Commit(const std::vector<InMessage>& batch) {
  std::map<PartitionKey, std::int64_t> next;
  for (const auto& m : batch) {
    auto& n = next[{m.topic, m.partition}];
    n = std::max(n, m.offset + 1);
  }
  TopicPartitions tps;
  for (const auto& [tp, offset] : next) {
    tps.list.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  }
  const auto rc = impl_->consumer->commitSync(tps.list);
  if (rc != RdKafka::ERR_NO_ERROR) throw KafkaError("offset commit failed: " + RdKafka::err2str(rc));
}

void Consumer::Rewind(const std::vector<InMessage>& batch) {
  std::map<PartitionKey, std::int64_t> first;
  for (const auto& m : batch) {
    auto [it, inserted] = first.try_emplace({m.topic, m.partition}, m.offset);
    if (!inserted) it->second = std::min(it->second, m.offset);
  }
  for (const auto& [tp, offset] : first) {
    std::unique_ptr<RdKafka::TopicPartition> p(
        RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    const auto rc = impl_->consumer->seek(*p, 5000);
    if (rc != RdKafka::ERR_NO_ERROR) {
      log::Warn("seek failed", {{"topic", tp.first}, {"partition", tp.second},
                                {"error", RdKafka::err2str(rc)}});
    }
  }
}

void Consumer::Run(const BatchHandler& handler, const std::atomic<bool>& stop) {
  int failures = 0;
  while (!stop.load()) {
    auto batch = Poll();
    if (batch.empty()) continue;
    try {
      handler(batch);
    } catch (const std::exception& e) {
      ++failures;
      log::Warn("batch handler failed; will redeliver",
                {{"error", e.what()}, {"topic", batch.front().topic}, {"partition", batch.front().partition},
                 {"messages", batch.size()}, {"failures", failures}});
      if (impl_->options.on_failure) impl_->options.on_failure(batch.front(), e.what());
      Rewind(batch);
      // Backoff: 100 ms doubling to 2 s, and on forever (a transient failure may last).
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, 50 << std::min(failures, 6))));
      continue;
    }
    failures = 0;
    if (impl_->options.on_progress) impl_->options.on_progress();
    try {
      Commit(batch);
    } catch (const KafkaError& e) {
      // Effects are already committed with their inbox rows: redelivery is harmless.
      log::Warn("offset commit failed; messages may be redelivered", {{"error", e.what()}});
    }
  }
}

}  // namespace saga::kafka
