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
                                                   OrderCompleted, OrderCancelled, SagaExpired,
                                                   SagaAborted, StockAborted, PaymentRefunded> {
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

namespace {

// For each order.created, stores what its orderId asks for in completion_db.sagas: a good row,
// or data the database refuses (a permanent error), or it waits on a row lock (a transient one).
class Storing : public saga::messaging::Handles<OrderCreated> {
 protected:
  saga::messaging::Output Handle(const std::vector<Typed>& events, saga::db::Transaction& tx) override {
    for (const auto& e : events) {
      const auto& order = std::get<Incoming<OrderCreated>>(e).event->envelope.order_id;
      const auto kind = order.substr(0, order.find(':'));
      std::string id = order, started = "2024-01-01 00:00:00", duration = "1";
      if (kind == "too-long") id = std::string(100, 'x');                // 1406
      if (kind == "bad-date") started = "2024-13-45 25:61:61";           // 1292
      if (kind == "out-of-range") duration = "99999999999999999999";     // 1264
      if (kind == "locked") tx.Conn().Execute("SET SESSION innodb_lock_wait_timeout = 1");
      tx.Conn().Execute("INSERT INTO sagas (order_id, status, started_at, duration_ms, updated_at) VALUES ('" + id +
                        "', 'PENDING', '" + started + "', " + duration + ", UTC_TIMESTAMP(3))" +
                        (kind == "locked" ? " ON DUPLICATE KEY UPDATE duration_ms = 2" : ""));
      if (kind == "overflow") tx.Conn().Execute("UPDATE sagas SET duration_ms = duration_ms + 9223372036854775807 "
                                                "WHERE order_id = '" + id + "'");  // 1690
      if (kind == "null") tx.Conn().Execute("UPDATE sagas SET status = NULL WHERE order_id = '" + id + "'");  // 1048
    }
    return {};
  }
};

saga::kafka::InMessage Created(const std::string& order, std::int64_t offset) {
  return saga::test::Delivered(
      Envelope::New(OrderCreated::kType, order, OrderCreated{UserId(1), {{ProductId(1), 1}}, {}}), offset);
}

}  // namespace

TEST_CASE("Data the database refuses is dead-lettered with its error and the rest of the batch applies",
          "[messaging][dlq]") {
  saga::test::Harness<Storing> h("completion_db");
  const auto tag = saga::test::UniqueName("");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"too-long", "1406"}, {"bad-date", "1292"}, {"out-of-range", "1264"}, {"overflow", "1690"}, {"null", "1048"}};
  std::vector<saga::kafka::InMessage> batch;
  for (const auto& [kind, code] : refused) {
    batch.push_back(Created("good-before-" + kind + ":" + tag, static_cast<std::int64_t>(batch.size())));
    batch.push_back(Created(kind + ":" + tag, static_cast<std::int64_t>(batch.size())));
  }
  batch.push_back(Created("good-last:" + tag, static_cast<std::int64_t>(batch.size())));
  h.processor.ProcessBatch(batch);

  CHECK(h.schema.Count("sagas") == static_cast<long long>(refused.size()) + 1);  // the good ones, all
  CHECK(h.schema.Count("inbox") == static_cast<long long>(refused.size()) + 1);
  const auto dlq = saga::test::ReadTopicUntil(
      "order.created.dlq",
      [&](const auto& got) {
        return std::count_if(got.begin(), got.end(), [&](const auto& m) { return m.key.ends_with(tag); }) >=
               static_cast<long>(refused.size());
      },
      std::chrono::seconds(30));
  for (const auto& [kind, code] : refused) {
    INFO(kind);
    const auto it = std::find_if(dlq.begin(), dlq.end(), [&](const auto& m) { return m.key == kind + ":" + tag; });
    REQUIRE(it != dlq.end());
    CHECK_THAT(it->HeaderValue("error").value_or(""), Catch::Contains("database error " + code));
  }
}

TEST_CASE("A transient database error is not dead-lettered: the batch fails whole and applies later",
          "[messaging]") {
  saga::test::Harness<Storing> h("completion_db");
  const auto order = "locked:" + saga::test::UniqueName("");
  const auto id = order;
  // Another transaction holds the row the handler updates: lock wait timeout (1205).
  saga::db::Connection holder(h.schema.Db());
  holder.Execute("INSERT INTO sagas (order_id, status, started_at, updated_at) VALUES ('" + id +
                 "', 'PENDING', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
  holder.Commit();
  holder.Query("SELECT * FROM sagas WHERE order_id = '" + id + "' FOR UPDATE");
  const auto batch = std::vector<saga::kafka::InMessage>{Created("good:" + order, 0), Created(order, 1)};
  try {
    h.processor.ProcessBatch(batch);
    FAIL("a lock wait timeout was not reported to the consumer");
  } catch (const saga::db::Error& e) {
    CHECK(e.Code() == 1205);
    CHECK(e.IsRetryable());
  }
  CHECK(h.schema.Count("inbox") == 0);  // nothing applied, nothing dead-lettered: it may pass
  holder.Rollback();
  h.processor.ProcessBatch(batch);  // the redelivery, once the lock is gone
  CHECK(h.schema.Count("inbox") == 2);
  CHECK(h.schema.Scalar("SELECT duration_ms FROM sagas WHERE order_id = '" + id + "'") == 2);
}

namespace {

// Answers each order.created with a stock.reserved whose total is not its items' sum when the
// order id says so: a producer bug the outbox must not publish.
class Miscounting : public saga::messaging::Handles<OrderCreated> {
 protected:
  saga::messaging::Output Handle(const std::vector<Typed>& events, saga::db::Transaction&) override {
    saga::messaging::Output out;
    for (const auto& e : events) {
      const auto& in = std::get<Incoming<OrderCreated>>(e);
      const bool wrong = in.OrderId().starts_with("wrong");
      out.events.push_back(saga::messaging::EmitOf(
          *in.event, StockReserved{UserId(1), {{ProductId(1), 2, 1000}}, wrong ? -8446744073709551616LL : 2000, {}}));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("An event that breaks its contract is never published: its cause is dead-lettered",
          "[messaging][dlq]") {
  saga::test::Harness<Miscounting> h("stock_db");
  const auto tag = saga::test::UniqueName("");
  h.processor.ProcessBatch({Created("right:" + tag, 0), Created("wrong:" + tag, 1)});
  const auto outbox = h.schema.Outbox();
  REQUIRE(outbox.size() == 1);
  CHECK(outbox[0].order_id == "right:" + tag);
  const auto dlq = saga::test::ReadTopicUntil(
      "order.created.dlq",
      [&](const auto& got) {
        return std::any_of(got.begin(), got.end(), [&](const auto& m) { return m.key == "wrong:" + tag; });
      },
      std::chrono::seconds(30));
  const auto it = std::find_if(dlq.begin(), dlq.end(), [&](const auto& m) { return m.key == "wrong:" + tag; });
  REQUIRE(it != dlq.end());
  CHECK_THAT(it->HeaderValue("error").value_or(""),
             Catch::Contains("refusing to publish stock.reserved") && Catch::Contains("totalAmount"));
}
