#include "saga/admin/dlq_reader.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

namespace saga::admin {
namespace {

using Clock = std::chrono::steady_clock;

int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
}

void Set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string err;
  if (conf.set(name, value, err) != RdKafka::Conf::CONF_OK) {
    throw kafka::KafkaError("kafka property " + name + "=" + value + ": " + err);
  }
}

struct TopicPartitions {
  std::vector<RdKafka::TopicPartition*> list;
  ~TopicPartitions() { RdKafka::TopicPartition::destroy(list); }
};

// The partition counts of the topics the broker has, by name.
std::map<std::string, int> PartitionCounts(RdKafka::KafkaConsumer& consumer, Clock::time_point deadline) {
  RdKafka::Metadata* raw = nullptr;
  const auto rc = consumer.metadata(true, nullptr, &raw, std::max(1, MsLeft(deadline)));
  std::unique_ptr<RdKafka::Metadata> md(raw);
  if (rc != RdKafka::ERR_NO_ERROR) throw kafka::KafkaError("no metadata from the broker: " + RdKafka::err2str(rc));
  std::map<std::string, int> out;
  for (const auto* t : *md->topics()) {
    if (t->err() == RdKafka::ERR_NO_ERROR) out[t->topic()] = static_cast<int>(t->partitions()->size());
  }
  return out;
}

kafka::InMessage ToInMessage(RdKafka::Message& msg) {
  kafka::InMessage in;
  in.topic = msg.topic_name();
  in.partition = msg.partition();
  in.offset = msg.offset();
  if (msg.key() != nullptr) in.key = *msg.key();
  if (msg.payload() != nullptr) in.value.assign(static_cast<const char*>(msg.payload()), msg.len());
  if (const RdKafka::Headers* hs = msg.headers()) {
    for (const auto& h : hs->get_all()) {
      in.headers.push_back(
          {h.key(), h.value() == nullptr ? "" : std::string(static_cast<const char*>(h.value()), h.value_size())});
    }
  }
  return in;
}

}  // namespace

TopicsRead ReadTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  Set(*conf, "bootstrap.servers", bootstrap);
  Set(*conf, "client.id", "saga-admin");
  // librdkafka's consumer needs a group id, but assign() never joins the group and nothing is
  // committed: the read leaves no trace on the broker.
  Set(*conf, "group.id", "saga-admin");
  Set(*conf, "enable.auto.commit", "false");
  Set(*conf, "enable.auto.offset.store", "false");
  Set(*conf, "enable.partition.eof", "true");
  Set(*conf, "log_level", "0");  // what fails is reported once, by the caller
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) throw kafka::KafkaError("cannot create consumer: " + err);

  TopicsRead out;
  const auto counts = PartitionCounts(*consumer, deadline);
  // Each partition with messages, from its low watermark; `end` is its high watermark now.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> end;
  TopicPartitions assignment;
  for (const auto& topic : topics) {
    const auto it = counts.find(topic);
    if (it == counts.end()) {
      out.missing.push_back(topic);
      continue;
    }
    for (std::int32_t p = 0; p < it->second; ++p) {
      std::int64_t low = 0, high = 0;
      const auto rc = consumer->query_watermark_offsets(topic, p, &low, &high, std::max(1, MsLeft(deadline)));
      if (rc != RdKafka::ERR_NO_ERROR) {
        throw kafka::KafkaError("watermarks of " + topic + " [" + std::to_string(p) + "]: " + RdKafka::err2str(rc));
      }
      if (high <= low) continue;
      end[{topic, p}] = high;
      assignment.list.push_back(RdKafka::TopicPartition::create(topic, p, low));
    }
  }
  if (!assignment.list.empty()) {
    const auto rc = consumer->assign(assignment.list);
    if (rc != RdKafka::ERR_NO_ERROR) throw kafka::KafkaError("assign failed: " + RdKafka::err2str(rc));
  }
  auto pending = end;  // partitions not read to their end yet
  while (!pending.empty()) {
    if (MsLeft(deadline) == 0) {
      consumer->close();
      throw kafka::KafkaError("reading " + std::to_string(pending.size()) + " partition(s) (" +
                              pending.begin()->first.first + " [" + std::to_string(pending.begin()->first.second) +
                              "] first) did not finish in time");
    }
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(std::min(200, MsLeft(deadline))));
    if (msg->err() == RdKafka::ERR__TIMED_OUT) continue;
    const std::pair<std::string, std::int32_t> tp{msg->topic_name(), msg->partition()};
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      pending.erase(tp);
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      const auto text = msg->errstr();
      consumer->close();
      throw kafka::KafkaError("consume: " + text);
    }
    const auto e = end.find(tp);
    if (e == end.end() || msg->offset() >= e->second) {
      // Written after the read began: not part of this listing.
      if (e != end.end()) pending.erase(tp);
      continue;
    }
    out.messages.push_back(ToInMessage(*msg));
    if (msg->offset() + 1 >= e->second) pending.erase(tp);
  }
  consumer->close();

  std::map<std::string, std::size_t> rank;
  for (std::size_t i = 0; i < topics.size(); ++i) rank.try_emplace(topics[i], i);
  std::stable_sort(out.messages.begin(), out.messages.end(), [&](const auto& a, const auto& b) {
    return std::forward_as_tuple(rank[a.topic], a.partition, a.offset) <
           std::forward_as_tuple(rank[b.topic], b.partition, b.offset);
  });
  return out;
}

}  // namespace saga::admin
