#include <catch2/catch.hpp>

#include "saga/contracts/saga.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/messaging/handler.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using saga::messaging::Incoming;

namespace {

// Consumes every event type of the saga; for each event it emits one order.completed, so that
// what was applied shows in the outbox.
class EveryEvent : public saga::messaging::Handles<OrderCreated, StockReserved, StockRejected,
                                                   PaymentCompleted, PaymentFailed, StockReleased,
                                                   OrderCompleted, OrderCancelled> {
 protected:
  saga::messaging::Output Handle(const std::vector<Typed>& events,
                                 saga::db::Transaction&) override {
    saga::messaging::Output out;
    for (const auto& e : events) {
      std::visit(
          [&](const auto& in) {
            out.events.push_back(saga::messaging::EmitOf(*in.event, OrderCompleted{}));
          },
          e);
    }
    return out;
  }
};

using Harness = saga::test::Harness<EveryEvent>;

}  // namespace

TEST_CASE("A malformed message on each topic goes to its DLQ and later ones still apply",
          "[messaging][dlq]") {
  Harness h("completion_db");
  REQUIRE(h.handler.Topics() == Saga().Topics());
  for (const auto& topic : h.handler.Topics()) {
    INFO("topic " << topic);
    const auto key = saga::test::UniqueName("dlq-order");
    auto not_json = saga::test::Delivered(Envelope::New(topic, key, {}), 1);
    not_json.value = "{this is not json";
    auto bad_payload = saga::test::Delivered(Envelope::New(topic, key, {{"unexpected", true}}), 2);
    auto wrong_topic = saga::test::Delivered(Envelope::New("order.created", key, {}), 3);
    wrong_topic.topic = topic == "order.created" ? "stock.reserved" : topic;
    const auto good_order = saga::test::UniqueName("good");
    const auto good =
        saga::test::Delivered(Envelope::New(OrderCreated::kType, good_order,
                                            OrderCreated{UserId(1), {{ProductId(1), 1}}, {}}),
                              4);
    const auto outbox_before = h.schema.Count("outbox");
    h.processor.ProcessBatch({not_json, bad_payload, wrong_topic, good});
    CHECK(h.schema.Count("outbox") == outbox_before + 1);  // the good one applied, alone

    const std::size_t expected =
        topic == "order.created" ? 2 : 3;  // wrong_topic went elsewhere there
    auto ours = [&](const std::vector<saga::kafka::InMessage>& got) {
      std::vector<const saga::kafka::InMessage*> out;
      for (const auto& m : got) {
        if (m.key == key && m.HeaderValue("source-topic") == std::optional<std::string>(topic))
          out.push_back(&m);
      }
      return out;
    };
    const auto dlq = saga::test::ReadTopicUntil(
        topic + ".dlq", [&](const auto& got) { return ours(got).size() >= expected; },
        std::chrono::seconds(30));
    CHECK(ours(dlq).size() == expected);
    for (const auto* m : ours(dlq)) CHECK_FALSE(m->HeaderValue("error").value_or("").empty());
  }
}

TEST_CASE("A batch redelivered after its commit (offsets never committed) changes nothing",
          "[messaging]") {
  Harness h("completion_db");
  std::vector<saga::kafka::InMessage> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(
        saga::test::Delivered(Envelope::New(OrderCreated::kType, "redeliver-" + std::to_string(i),
                                            OrderCreated{UserId(1), {{ProductId(9), 3}}, {}}),
                              i));
  }
  h.processor.ProcessBatch(batch);  // committed; then the consumer "dies" before its offset commit
  CHECK(h.schema.Count("outbox") == 5);
  h.processor.ProcessBatch(batch);  // the same batch again after restart
  CHECK(h.schema.Count("outbox") == 5);
  CHECK(h.schema.Count("inbox") == 5);
  const auto emitted = h.schema.Outbox();
  REQUIRE(emitted.size() == 5);
  CHECK(emitted[0].event_type == "order.completed");
  CHECK(emitted[0].causation_id ==
        std::optional<std::string>(Envelope::Parse(batch[0].value).event_id));
}
