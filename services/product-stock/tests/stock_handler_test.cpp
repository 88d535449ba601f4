#include <catch2/catch.hpp>

#include <thread>

#include "saga/contracts/saga_events.hpp"
#include "saga/stock/stock_handler.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using Harness = saga::test::Harness<saga::stock::StockHandler>;

namespace {

Envelope Created(const std::string& order, std::vector<OrderItem> items, std::int64_t user = 1) {
  return Envelope::New(OrderCreated::kType, order, OrderCreated{UserId(user), std::move(items), {}});
}
Envelope PaymentFailedFor(const std::string& order) {
  return Envelope::New(PaymentFailed::kType, order, PaymentFailed{UserId(1), 1, reasons::kInsufficientBalance, {}});
}
long long Stock(const Harness& h, int product) {
  return h.schema.Scalar("SELECT stock FROM products WHERE product_id = " + std::to_string(product));
}
// Products 1..10 at stock 100 and price 2000 + id.
void Restock(Harness& h) {
  saga::db::Connection conn(h.schema.Db());
  conn.Execute("UPDATE products SET stock = 100, price = 2000 + product_id");
  conn.Commit();
}

}  // namespace

TEST_CASE("Stock reserves every item with prices and total, once per delivery", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  const auto created = Created("o-1", {{ProductId(3), 2}, {ProductId(1), 5}});
  h.Deliver({created, created});  // the same event twice in one batch
  h.Deliver({created});           // and again later (redelivery)
  CHECK(Stock(h, 1) == 95);
  CHECK(Stock(h, 3) == 98);
  const auto reserved = h.Emitted(StockReserved::kType);
  REQUIRE(reserved.size() == 1);
  const auto payload = reserved[0].payload.get<StockReserved>();
  CHECK(payload.items == std::vector<PricedItem>{{ProductId(1), 5, 2001}, {ProductId(3), 2, 2003}});
  CHECK(payload.total_amount == 5 * 2001 + 2 * 2003);
  CHECK(reserved[0].causation_id == std::optional<std::string>(created.event_id));
  CHECK(h.schema.Count("reservations") == 2);
}

TEST_CASE("An order one unit short reserves nothing and is rejected OUT_OF_STOCK", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  h.Deliver({Created("o-2", {{ProductId(2), 1}, {ProductId(4), 101}})});
  CHECK(Stock(h, 2) == 100);
  CHECK(Stock(h, 4) == 100);
  const auto rejected = h.Emitted(StockRejected::kType);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].payload == nlohmann::json{{"reason", "OUT_OF_STOCK"}, {"productId", 4}});
  CHECK(h.schema.Count("reservations") == 0);
}

TEST_CASE("An unknown product is rejected UNKNOWN_PRODUCT and changes nothing", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  h.Deliver({Created("o-3", {{ProductId(1), 1}, {ProductId(999), 1}})});
  CHECK(Stock(h, 1) == 100);
  const auto rejected = h.Emitted(StockRejected::kType);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].payload == nlohmann::json{{"reason", "UNKNOWN_PRODUCT"}, {"productId", 999}});
}

TEST_CASE("payment.failed gives back exactly what was reserved and only once", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  h.Deliver({Created("o-4", {{ProductId(5), 7}, {ProductId(6), 3}})});
  REQUIRE(Stock(h, 5) == 93);
  h.Deliver({PaymentFailedFor("o-4")});
  h.Deliver({PaymentFailedFor("o-4"), PaymentFailedFor("o-4")});  // new event ids, same order
  CHECK(Stock(h, 5) == 100);
  CHECK(Stock(h, 6) == 100);
  const auto released = h.Emitted(StockReleased::kType);
  REQUIRE(released.size() == 1);
  CHECK(released[0].payload.get<StockReleased>().items ==
        std::vector<OrderItem>{{ProductId(5), 7}, {ProductId(6), 3}});
  h.Deliver({PaymentFailedFor("never-reserved")});
  CHECK(h.Emitted(StockReleased::kType).size() == 1);
}

TEST_CASE("Orders racing for the last units never take stock below zero", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  std::vector<Envelope> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(Created("race-" + std::to_string(i), {{ProductId(7), 4}}));
  h.Deliver(batch);
  CHECK(Stock(h, 7) == 0);  // 25 x 4 = 100 reserved
  CHECK(h.Emitted(StockReserved::kType).size() == 25);
  CHECK(h.Emitted(StockRejected::kType).size() == 5);
}

TEST_CASE("Within one batch, events apply in order: a release frees units a later order takes", "[stock]") {
  Harness h("stock_db", {"products"});
  Restock(h);
  h.Deliver({Created("b-a", {{ProductId(8), 60}})});
  REQUIRE(Stock(h, 8) == 40);
  h.Deliver({Created("b-b", {{ProductId(8), 50}}),      // 40 left: rejected
             PaymentFailedFor("b-a"),                   // 60 back: 100
             Created("b-c", {{ProductId(8), 50}, {ProductId(9), 1}}),  // 50 left
             Created("b-d", {{ProductId(8), 50}}),      // 0 left
             Created("b-e", {{ProductId(8), 1}})});     // rejected
  CHECK(Stock(h, 8) == 0);
  CHECK(Stock(h, 9) == 99);
  std::vector<std::string> rejected, reserved;
  for (const auto& e : h.Emitted(StockRejected::kType)) rejected.push_back(e.order_id);
  for (const auto& e : h.Emitted(StockReserved::kType)) reserved.push_back(e.order_id);
  CHECK(rejected == std::vector<std::string>{"b-b", "b-e"});
  CHECK(reserved == std::vector<std::string>{"b-a", "b-c", "b-d"});
  CHECK(h.Emitted(StockReleased::kType).size() == 1);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM reservations WHERE order_id = 'b-a' AND status = 'RELEASED'") == 1);
  CHECK(h.schema.Scalar("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE status = 'RESERVED'") == 101);
}

TEST_CASE("An order.created and its saga.aborted racing in two transactions never leave stock held",
          "[stock][deadline]") {
  // docs/adr/0017: both lock the order's product rows before they read what the other did.
  Harness h("stock_db", {"products"});
  Restock(h);
  saga::metrics::Registry registry;
  saga::messaging::EventProcessor second("test", h.pool, h.dlq, h.handler, registry);
  constexpr int kOrders = 40;
  std::vector<Envelope> created, aborted;
  for (int i = 0; i < kOrders; ++i) {
    const auto id = "abort-race-" + std::to_string(i);
    created.push_back(Created(id, {{ProductId(6), 2}}));
    aborted.push_back(Envelope::New(SagaAborted::kType, id,
                                    SagaAborted{reasons::kTimedOut, UserId(1), {{ProductId(6), 2}}, {}}));
  }
  std::thread orders([&] {
    for (int i = 0; i < kOrders; ++i) h.processor.ProcessBatch({saga::test::Delivered(created[i], i)});
  });
  for (int i = 0; i < kOrders; ++i) second.ProcessBatch({saga::test::Delivered(aborted[i], i)});
  orders.join();
  CHECK(Stock(h, 6) == 100);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM reservations WHERE status = 'RESERVED'") == 0);
  CHECK(h.schema.Count("aborted_orders") == kOrders);
  // Each reservation made was given back by its abort, which said so.
  const auto reserved = h.Emitted(StockReserved::kType).size();
  std::size_t gave_back = 0;
  for (const auto& e : h.Emitted(StockAborted::kType)) gave_back += e.payload.at("items").empty() ? 0 : 1;
  CHECK(h.Emitted(StockAborted::kType).size() == kOrders);
  CHECK(gave_back == reserved);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM reservations") == static_cast<long long>(reserved));
}
