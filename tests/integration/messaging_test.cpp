#include <catch2/catch.hpp>

#include "saga/completion/completion_handler.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/stock/stock_handler.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;

TEST_CASE("A malformed message on each consumed topic goes to its DLQ and later ones still apply", "[messaging][dlq]") {
  saga::test::Harness<saga::completion::CompletionHandler> h("completion_db");
  for (const auto& topic : saga::completion::SagaTopics()) {
    INFO("topic " << topic);
    const auto key = saga::test::UniqueName("dlq-order");
    auto not_json = saga::test::Delivered(Envelope::New(topic, key, {}), 1);
    not_json.value = "{this is not json";
    auto bad_payload = saga::test::Delivered(Envelope::New(topic, key, {{"unexpected", true}}), 2);
    auto wrong_topic = saga::test::Delivered(Envelope::New("order.created", key, {}), 3);
    wrong_topic.topic = topic == "order.created" ? "stock.reserved" : topic;
    const auto good_order = saga::test::UniqueName("good");
    const auto good = saga::test::Delivered(
        Envelope::New(topics::kOrderCreated, good_order, OrderCreated{UserId(1), {{ProductId(1), 1}}, {}}), 4);
    h.processor.ProcessBatch({not_json, bad_payload, wrong_topic, good});
    CHECK(h.schema.Scalar("SELECT COUNT(*) FROM sagas WHERE order_id = '" + good_order + "'") == 1);

    const std::size_t expected = topic == "order.created" ? 2 : 3;  // wrong_topic went elsewhere there
    auto ours = [&](const std::vector<saga::kafka::InMessage>& got) {
      std::vector<const saga::kafka::InMessage*> out;
      for (const auto& m : got) {
        if (m.key == key && m.HeaderValue("source-topic") == std::optional<std::string>(topic)) out.push_back(&m);
      }
      return out;
    };
    const auto dlq = saga::test::ReadTopicUntil(
        topic + ".dlq", [&](const auto& got) { return ours(got).size() >= expected; }, std::chrono::seconds(30));
    CHECK(ours(dlq).size() == expected);
    for (const auto* m : ours(dlq)) CHECK_FALSE(m->HeaderValue("error").value_or("").empty());
  }
}

TEST_CASE("A batch redelivered after its commit (offsets never committed) changes nothing", "[messaging]") {
  saga::test::Harness<saga::stock::StockHandler> h("stock_db", {"products"});
  saga::db::Connection conn(h.schema.Db());
  conn.Execute("UPDATE products SET stock = 50 WHERE product_id = 9");
  conn.Commit();
  std::vector<saga::kafka::InMessage> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(saga::test::Delivered(
        Envelope::New(topics::kOrderCreated, "redeliver-" + std::to_string(i),
                      OrderCreated{UserId(1), {{ProductId(9), 3}}, {}}),
        i));
  }
  h.processor.ProcessBatch(batch);  // committed; then the consumer "dies" before its offset commit
  const auto outbox_after_first = h.schema.Count("outbox");
  h.processor.ProcessBatch(batch);  // the same batch again after restart
  CHECK(h.schema.Scalar("SELECT stock FROM products WHERE product_id = 9") == 35);
  CHECK(h.schema.Count("outbox") == outbox_after_first);
  CHECK(h.schema.Count("inbox") == 5);
}
