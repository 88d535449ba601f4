#include "saga/kafka/producer.hpp"

#include <atomic>

#include "conf.hpp"
#include "saga/log/log.hpp"

namespace saga::kafka {
namespace {

struct Slot {
  DeliveryResult* result;
  std::size_t* pending;
};

class DeliveryCallback : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& msg) override {
    auto* slot = static_cast<Slot*>(msg.msg_opaque());
    if (slot == nullptr) return;
    slot->result->ok = msg.err() == RdKafka::ERR_NO_ERROR;
    if (!slot->result->ok) slot->result->error = msg.errstr();
    slot->result->partition = msg.partition();
    slot->result->offset = msg.offset();
    --*slot->pending;
  }
};

}  // namespace

struct Producer::Impl {
  DeliveryCallback callback;
  std::unique_ptr<RdKafka::Producer> producer;
};

Producer::Producer(const ProducerOptions& o) : impl_(std::make_unique<Impl>()) {
  Properties props{
      {"bootstrap.servers", o.bootstrap},
      {"client.id", o.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", std::to_string(o.linger_ms)},
      {"message.timeout.ms", std::to_string(o.message_timeout_ms)},
      {"compression.type", "none"},
      {"socket.nagle.disable", "true"},
      {"log_level", "4"},
  };
  for (const auto& [k, v] : o.extra) props[k] = v;
  auto conf = detail::MakeConf(props);
  std::string err;
  if (conf->set("dr_cb", &impl_->callback, err) != RdKafka::Conf::CONF_OK) {
    throw KafkaError("cannot set delivery callback: " + err);
  }
  impl_->producer.reset(RdKafka::Producer::create(conf.get(), err));
  if (!impl_->producer) throw KafkaError("cannot create producer: " + err);
}

Producer::~Producer() {
  if (impl_ && impl_->producer) impl_->producer->flush(10000);
}

std::vector<DeliveryResult> Producer::SendAndWait(const std::vector<OutMessage>& messages) {
  std::vector<DeliveryResult> results(messages.size());
  std::size_t pending = 0;
  std::vector<Slot> slots(messages.size());
  auto& p = *impl_->producer;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    slots[i] = Slot{&results[i], &pending};
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& h : m.headers) headers->add(h.key, h.value);
    for (;;) {
      const auto rc = p.produce(m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                const_cast<char*>(m.value.data()), m.value.size(), m.key.data(),
                                m.key.size(), 0, headers, &slots[i]);
      if (rc == RdKafka::ERR_NO_ERROR) {
        ++pending;  // headers now belong to librdkafka
        break;
      }
      if (rc == RdKafka::ERR__QUEUE_FULL) {
        p.poll(10);
        continue;
      }
      delete headers;
      results[i].ok = false;
      results[i].error = RdKafka::err2str(rc);
      break;
    }
  }
  // Every enqueued message gets exactly one report within message.timeout.ms, so this ends.
  // flush() sends what is queued at once instead of after linger.ms (the caller waits for the
  // whole batch anyway) and serves the delivery reports while it waits.
  while (pending > 0) p.flush(100);
  return results;
}

bool Producer::Reachable(std::chrono::milliseconds timeout) {
  RdKafka::Metadata* md = nullptr;
  const auto rc = impl_->producer->metadata(true, nullptr, &md, static_cast<int>(timeout.count()));
  std::unique_ptr<RdKafka::Metadata> owned(md);
  return rc == RdKafka::ERR_NO_ERROR;
}

}  // namespace saga::kafka
