#include "saga/stock/stock_rules.hpp"

#include <catch2/catch.hpp>

#include "saga/contracts/saga.hpp"
#include "saga/stock/stock_handler.hpp"

using namespace saga::contracts;
using saga::messaging::Event;
using saga::messaging::Incoming;
using namespace saga::stock;

namespace {

Event Ev(const char* type, const std::string& order) {
  return {Envelope::New(type, order, nlohmann::json::object()), ""};
}

StockState Products(std::map<std::int64_t, Product> products) {
  StockState s;
  s.products = std::move(products);
  return s;
}

}  // namespace

TEST_CASE("product-stock subscribes to what the saga declares it consumes", "[stock]") {
  CHECK(StockHandler().Topics() == Saga().ConsumedBy(Participant::kProductStock));
}

TEST_CASE("An order reserves every item, sorted, with prices, total and its coupon", "[stock][decide]") {
  const auto e = Ev(OrderCreated::kType, "o-1");
  const std::vector<StockEvent> batch{
      Incoming<OrderCreated>{&e, {UserId(4), {{ProductId(3), 2}, {ProductId(1), 5}}, "SPRING"}}};
  const auto d = Decide(Products({{1, {2001, 100}}, {3, {2003, 100}}}), batch);
  CHECK(d.stocks == std::map<std::int64_t, std::int64_t>{{1, 95}, {3, 98}});
  CHECK(d.reservations == std::vector<Reservation>{{"o-1", {ProductId(1), 5, 2001}},
                                                   {"o-1", {ProductId(3), 2, 2003}}});
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].type == "stock.reserved");
  CHECK(d.events[0].cause == &e);
  CHECK(d.events[0].payload ==
        nlohmann::json(StockReserved{
            UserId(4), {{ProductId(1), 5, 2001}, {ProductId(3), 2, 2003}}, 5 * 2001 + 2 * 2003, "SPRING"}));
}

TEST_CASE("One unit short or an unknown product reserves nothing", "[stock][decide]") {
  const auto a = Ev(OrderCreated::kType, "short");
  const auto b = Ev(OrderCreated::kType, "unknown");
  const std::vector<StockEvent> batch{
      Incoming<OrderCreated>{&a, {UserId(1), {{ProductId(1), 1}, {ProductId(2), 11}}, {}}},
      Incoming<OrderCreated>{&b, {UserId(1), {{ProductId(1), 1}, {ProductId(99), 1}}, {}}}};
  const auto d = Decide(Products({{1, {10, 10}}, {2, {10, 10}}}), batch);
  CHECK(d.stocks.empty());
  CHECK(d.reservations.empty());
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].payload == nlohmann::json{{"reason", "OUT_OF_STOCK"}, {"productId", 2}});
  CHECK(d.events[1].payload == nlohmann::json{{"reason", "UNKNOWN_PRODUCT"}, {"productId", 99}});
}

TEST_CASE("Orders of one batch share the stock in their order, and one reserved before is skipped",
          "[stock][decide]") {
  const auto a = Ev(OrderCreated::kType, "a");
  const auto b = Ev(OrderCreated::kType, "b");
  const auto again = Ev(OrderCreated::kType, "done-before");
  auto state = Products({{1, {10, 3}}});
  state.reserved.insert("done-before");
  const std::vector<StockEvent> batch{
      Incoming<OrderCreated>{&again, {UserId(1), {{ProductId(1), 1}}, {}}},
      Incoming<OrderCreated>{&a, {UserId(1), {{ProductId(1), 2}}, {}}},
      Incoming<OrderCreated>{&b, {UserId(1), {{ProductId(1), 2}}, {}}}};
  const auto d = Decide(state, batch);
  CHECK(d.stocks.at(1) == 1);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].type == "stock.reserved");
  CHECK(d.events[1].type == "stock.rejected");
}

TEST_CASE("A failed payment gives back what its order holds, once", "[stock][decide]") {
  const auto f = Ev(PaymentFailed::kType, "o-9");
  const auto g = Ev(PaymentFailed::kType, "o-9");
  const auto none = Ev(PaymentFailed::kType, "never-reserved");
  auto state = Products({{1, {10, 5}}, {2, {10, 0}}});
  state.held["o-9"] = {{ProductId(1), 2}, {ProductId(2), 3}};
  const PaymentFailed why{UserId(1), 10, reasons::kInsufficientBalance, {}};
  const std::vector<StockEvent> batch{Incoming<PaymentFailed>{&f, why},
                                      Incoming<PaymentFailed>{&g, why},
                                      Incoming<PaymentFailed>{&none, why}};
  const auto d = Decide(state, batch);
  CHECK(d.stocks == std::map<std::int64_t, std::int64_t>{{1, 7}, {2, 3}});
  CHECK(d.released == std::vector<std::string>{"o-9"});
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].type == "stock.released");
  CHECK(d.events[0].payload ==
        nlohmann::json(StockReleased{{{ProductId(1), 2}, {ProductId(2), 3}}}));
}

TEST_CASE("The lock set is every ordered and held product, ascending", "[stock][decide]") {
  const auto a = Ev(OrderCreated::kType, "a");
  const auto f = Ev(PaymentFailed::kType, "f");
  const std::vector<StockEvent> batch{
      Incoming<OrderCreated>{&a, {UserId(1), {{ProductId(9), 1}, {ProductId(2), 1}}, {}}},
      Incoming<PaymentFailed>{&f, {UserId(1), 1, reasons::kUnknownUser, {}}}};
  std::map<std::string, std::vector<OrderItem>> held{{"f", {{ProductId(5), 1}, {ProductId(2), 1}}}};
  CHECK(ProductsOf(batch, held) == std::vector<std::int64_t>{2, 5, 9});
  const auto keys = KeysOf(batch);
  CHECK(keys.ordered == std::vector<std::string>{"a"});
  CHECK(keys.failed == std::vector<std::string>{"f"});
}

TEST_CASE("An order whose total is past the money limit reserves nothing and is rejected for it",
          "[stock][decide]") {
  // Two prices of 5*10^14 and 10000 units of each: once a negative total that payment refused.
  const auto big = Ev(OrderCreated::kType, "big");
  const auto limit = Ev(OrderCreated::kType, "at-limit");
  const std::vector<StockEvent> batch{
      Incoming<OrderCreated>{&big, {UserId(1), {{ProductId(1), 10000}, {ProductId(2), 10000}}, {}}},
      Incoming<OrderCreated>{&limit, {UserId(1), {{ProductId(1), 1}, {ProductId(2), 1}}, {}}}};
  const auto d = Decide(Products({{1, {500'000'000'000'000, 20000}}, {2, {500'000'000'000'000, 20000}}}), batch);
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].type == "stock.rejected");
  CHECK(d.events[0].payload == nlohmann::json{{"reason", "AMOUNT_OUT_OF_RANGE"}, {"productId", 1}});
  CHECK(d.events[1].type == "stock.reserved");  // exactly the limit is still an amount
  CHECK(d.events[1].payload["totalAmount"] == kMaxAmount);
  CHECK(d.stocks == std::map<std::int64_t, std::int64_t>{{1, 19999}, {2, 19999}});
  for (const auto& e : d.events) CHECK_NOTHROW(CheckPayload(Saga().Get(e.type), e.payload));
}

TEST_CASE("An abort gives back what its order holds, marks it aborted and confirms each time",
          "[stock][decide][deadline]") {
  const auto a = Ev(SagaAborted::kType, "o-9");
  const auto again = Ev(SagaAborted::kType, "o-9");
  const auto late = Ev(OrderCreated::kType, "o-9");
  auto state = Products({{1, {10, 5}}});
  state.reserved.insert("o-9");
  state.held["o-9"] = {{ProductId(1), 2}};
  const SagaAborted why{reasons::kTimedOut, UserId(1), {{ProductId(1), 2}}, {}};
  const std::vector<StockEvent> batch{Incoming<SagaAborted>{&a, why}, Incoming<SagaAborted>{&again, why},
                                      Incoming<OrderCreated>{&late, {UserId(1), {{ProductId(1), 2}}, {}}}};
  const auto d = Decide(state, batch);
  CHECK(d.stocks == std::map<std::int64_t, std::int64_t>{{1, 7}});
  CHECK(d.released == std::vector<std::string>{"o-9"});
  CHECK(d.aborted == std::vector<std::string>{"o-9"});
  CHECK(d.reservations.empty());
  REQUIRE(d.events.size() == 2);  // the late order.created emits nothing
  CHECK(d.events[0].payload == nlohmann::json(StockAborted{{{ProductId(1), 2}}}));
  CHECK(d.events[1].payload == nlohmann::json(StockAborted{}));
}

TEST_CASE("An order aborted before it arrived reserves nothing, and one reserved in the batch is "
          "given back by an abort later in it",
          "[stock][decide][deadline]") {
  const auto first = Ev(SagaAborted::kType, "early");
  const auto created = Ev(OrderCreated::kType, "early");
  const auto reserve = Ev(OrderCreated::kType, "late");
  const auto abort = Ev(SagaAborted::kType, "late");
  const OrderCreated order{UserId(1), {{ProductId(1), 3}}, {}};
  const SagaAborted why{reasons::kTimedOut, UserId(1), order.items, {}};
  const std::vector<StockEvent> batch{
      Incoming<SagaAborted>{&first, why}, Incoming<OrderCreated>{&created, order},
      Incoming<OrderCreated>{&reserve, order}, Incoming<SagaAborted>{&abort, why}};
  const auto d = Decide(Products({{1, {10, 5}}}), batch);
  CHECK(d.stocks == std::map<std::int64_t, std::int64_t>{{1, 5}});  // taken and given back
  CHECK(d.reservations == std::vector<Reservation>{{"late", {ProductId(1), 3, 10}}});
  CHECK(d.released == std::vector<std::string>{"late"});
  CHECK(d.aborted == std::vector<std::string>{"early", "late"});
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].payload == nlohmann::json(StockAborted{}));
  CHECK(d.events[1].type == "stock.reserved");
  CHECK(d.events[2].payload == nlohmann::json(StockAborted{{{ProductId(1), 3}}}));
  // The abort's items are locked with the rest.
  CHECK(ProductsOf({Incoming<SagaAborted>{&abort, {reasons::kTimedOut, UserId(1), {{ProductId(4), 1}}, {}}}}, {}) ==
        std::vector<std::int64_t>{4});
}

TEST_CASE("An abort whose reservation holds a product it does not name is refused", "[stock][decide][deadline]") {
  const auto a = Ev(SagaAborted::kType, "o");
  auto state = Products({{1, {10, 5}}});
  state.held["o"] = {{ProductId(2), 1}};  // product 2 was not locked
  CHECK_THROWS_AS(Decide(state, {Incoming<SagaAborted>{&a, {reasons::kTimedOut, UserId(1), {{ProductId(1), 1}}, {}}}}),
                  ContractError);
}
