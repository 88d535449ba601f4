#include <catch2/catch.hpp>
#include <cppconn/resultset.h>

#include <set>
#include <thread>

#include "saga/contracts/envelope.hpp"
#include "saga/order/order_service.hpp"
#include "support/stack.hpp"

using namespace saga::order;
using saga::db::Pool;
using Json = nlohmann::json;

namespace {

PlaceOrderCommand Command(int quantity = 2) {
  return ParsePlaceOrder(Json{{"userId", 3},
                              {"items", Json::array({Json{{"productId", 1}, {"quantity", quantity}},
                                                     Json{{"productId", 2}, {"quantity", 1}}})}});
}

}  // namespace

TEST_CASE("PlaceOrder writes order items and order.created in one transaction", "[order]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  const auto result = service.Place(Command(), std::nullopt, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  CHECK_FALSE(result.replayed);
  CHECK(schema.Count("orders") == 1);
  CHECK(schema.Count("order_items") == 2);
  REQUIRE(schema.Count("outbox") == 1);

  saga::db::Connection conn(schema.Db());
  auto rs = conn.Query("SELECT envelope, order_id, traceparent FROM outbox");
  REQUIRE(rs->next());
  const auto env = saga::contracts::Envelope::Parse(rs->getString(1).asStdString());
  CHECK(env.event_type == "order.created");
  CHECK(env.order_id == result.order_id);
  CHECK(rs->getString(2).asStdString() == result.order_id);
  CHECK(rs->getString(3).asStdString().substr(3, 32) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(env.payload == Json::parse(R"({"userId":3,"items":[{"productId":1,"quantity":2},{"productId":2,"quantity":1}]})"));

  const auto view = service.Get(result.order_id);
  REQUIRE(view);
  CHECK(view->status == "PENDING");
  CHECK(view->items.size() == 2);
  CHECK(view->created_at.back() == 'Z');
  CHECK_FALSE(service.Get(saga::contracts::NewUuid()).has_value());
}

TEST_CASE("An uncommitted PlaceOrder leaves neither order nor outbox row", "[order]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  {
    auto lease = pool.Acquire();
    saga::db::Transaction tx(*lease);
    PlaceOrder(tx, Command(), std::string("key-rollback"), "");
  }
  CHECK(schema.Count("orders") == 0);
  CHECK(schema.Count("order_items") == 0);
  CHECK(schema.Count("outbox") == 0);
  CHECK(schema.Count("idempotency_keys") == 0);
}

TEST_CASE("An Idempotency-Key replays the same order and refuses another body", "[order][idempotency]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  const auto first = service.Place(Command(), std::string("k-1"), "");
  const auto again = service.Place(Command(), std::string("k-1"), "");
  CHECK(again.replayed);
  CHECK(again.order_id == first.order_id);
  CHECK_THROWS_AS(service.Place(Command(5), std::string("k-1"), ""), IdempotencyConflict);
  const auto other = service.Place(Command(), std::string("k-2"), "");
  CHECK(other.order_id != first.order_id);
  CHECK(schema.Count("orders") == 2);
  CHECK(schema.Count("outbox") == 2);
}

TEST_CASE("Concurrent requests with one Idempotency-Key create one order", "[order][idempotency]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  constexpr int kThreads = 16;
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        ids[i] = service.Place(Command(), std::string("same-key"), "").order_id;
      } catch (const std::exception&) {
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors.load() == 0);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
  CHECK(schema.Count("orders") == 1);
  CHECK(schema.Count("outbox") == 1);
}
