#include "saga/order/expiry.hpp"

#include <catch2/catch.hpp>
#include <cppconn/resultset.h>

#include "saga/contracts/envelope.hpp"
#include "saga/order/order_service.hpp"
#include "support/stack.hpp"

using namespace saga::order;
using Json = nlohmann::json;

namespace {

// Places an order whose deadline is `deadline_ms` from now; returns its id.
std::string PlaceWithDeadline(saga::db::Pool& pool, std::int64_t deadline_ms, std::optional<std::string> coupon = {}) {
  auto cmd = ParsePlaceOrder(Json{{"userId", 3}, {"items", Json::array({Json{{"productId", 2}, {"quantity", 4}}})}});
  cmd.coupon_id = std::move(coupon);
  return saga::db::InTransaction(pool, [&](saga::db::Transaction& tx) {
    const NewOrder order{cmd, std::nullopt, ""};
    auto out = PlaceOrders(tx, {&order}, deadline_ms);
    tx.Commit();
    return std::get<PlaceOrderResult>(out.at(0)).order_id;
  });
}

std::vector<saga::contracts::Envelope> Expired(const saga::test::ScratchSchema& schema) {
  std::vector<saga::contracts::Envelope> out;
  for (auto& e : schema.Outbox()) {
    if (e.event_type == "saga.expired") out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("Orders past their deadline are sent as saga.expired once per deadline, with the order as placed",
          "[order][deadline]") {
  saga::test::ScratchSchema schema;
  saga::db::Pool pool(schema.Db());
  saga::metrics::Registry registry;
  Expiry expiry(pool, {.deadline_ms = 60'000, .every = std::chrono::hours(1)}, registry);
  const auto late = PlaceWithDeadline(pool, -1000, "SPRING");  // already past
  const auto early = PlaceWithDeadline(pool, 60'000);
  const auto finished = PlaceWithDeadline(pool, -1000);
  {
    saga::db::Connection conn(schema.Db());
    conn.Execute("UPDATE orders SET status = 'COMPLETED' WHERE order_id = '" + finished + "'");
    conn.Commit();
  }
  CHECK(expiry.ScanOnce() == 1);
  auto sent = Expired(schema);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].order_id == late);
  CHECK(sent[0].payload ==
        Json::parse(R"({"userId":3,"items":[{"productId":2,"quantity":4}],"couponId":"SPRING","attempt":1})"));
  // Its next deadline is one period on; asked again only then, with the period doubled after.
  CHECK(schema.Scalar("SELECT expiries FROM orders WHERE order_id = '" + late + "'") == 1);
  CHECK(schema.Scalar("SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(3), deadline) FROM orders WHERE order_id = '" +
                      late + "'") >= 58);
  CHECK(expiry.ScanOnce() == 0);
  {
    saga::db::Connection conn(schema.Db());
    conn.Execute("UPDATE orders SET deadline = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE order_id = '" + late + "'");
    conn.Commit();
  }
  CHECK(expiry.ScanOnce() == 1);
  sent = Expired(schema);
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].payload.at("attempt") == 2);
  CHECK(schema.Scalar("SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(3), deadline) FROM orders WHERE order_id = '" +
                      late + "'") >= 118);
  CHECK_THAT(registry.Serialize(), Catch::Contains("sagas_expired_total{attempt=\"again\"} 1"));
  // Neither the order within its deadline nor the finished one was ever expired.
  CHECK(schema.Scalar("SELECT expiries FROM orders WHERE order_id = '" + early + "'") == 0);
  CHECK(schema.Scalar("SELECT expiries FROM orders WHERE order_id = '" + finished + "'") == 0);
}

TEST_CASE("A PENDING order without a deadline gets one from its creation time", "[order][deadline]") {
  saga::test::ScratchSchema schema;
  saga::db::Pool pool(schema.Db());
  saga::metrics::Registry registry;
  Expiry expiry(pool, {.deadline_ms = 1000, .every = std::chrono::hours(1)}, registry);
  const auto old = PlaceWithDeadline(pool, 60'000);
  {
    saga::db::Connection conn(schema.Db());
    conn.Execute("UPDATE orders SET deadline = NULL, created_at = UTC_TIMESTAMP(3) - INTERVAL 1 HOUR");
    conn.Commit();
  }
  CHECK(expiry.ScanOnce() == 1);  // created an hour ago: its deadline is long past
  REQUIRE(Expired(schema).size() == 1);
  CHECK(Expired(schema)[0].order_id == old);
}
