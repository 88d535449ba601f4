#include "saga/payment/payment_rules.hpp"

#include <catch2/catch.hpp>

#include "saga/contracts/saga.hpp"
#include "saga/payment/payment_handler.hpp"

using namespace saga::contracts;
using saga::messaging::Event;
using saga::messaging::Incoming;
using namespace saga::payment;

namespace {

Event Ev(const std::string& order) {
  return {Envelope::New(StockReserved::kType, order, nlohmann::json::object()), ""};
}
StockReserved Reserved(std::int64_t user, std::int64_t total) {
  return {UserId(user), {{ProductId(1), 1, total}}, total};
}
std::function<std::string()> Ids() {
  return [n = 0]() mutable { return "pay-" + std::to_string(++n); };
}

}  // namespace

TEST_CASE("payment subscribes to what the saga declares it consumes", "[payment]") {
  CHECK(PaymentHandler().Topics() == Saga().ConsumedBy(Participant::kPayment));
}

TEST_CASE("Debits in order, never below zero, and no account is UNKNOWN_USER",
          "[payment][decide]") {
  const auto a = Ev("a"), b = Ev("b"), c = Ev("c");
  PaymentState state;
  state.balances[1] = 100;
  const std::vector<PaymentEvent> batch{Incoming<StockReserved>{&a, Reserved(1, 60)},
                                        Incoming<StockReserved>{&b, Reserved(1, 60)},
                                        Incoming<StockReserved>{&c, Reserved(2, 1)}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances == std::map<std::int64_t, std::int64_t>{{1, 40}});
  CHECK(d.payments == std::vector<PaymentRow>{{"a", "pay-1", 1, 60, std::nullopt},
                                              {"b", "pay-2", 1, 60, "INSUFFICIENT_BALANCE"},
                                              {"c", "pay-3", 2, 1, "UNKNOWN_USER"}});
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].type == "payment.completed");
  CHECK(d.events[0].payload == nlohmann::json(PaymentCompleted{UserId(1), 60, "pay-1"}));
  CHECK(d.events[0].cause == &a);
  CHECK(d.events[1].payload ==
        nlohmann::json(PaymentFailed{UserId(1), 60, "INSUFFICIENT_BALANCE"}));
  CHECK(d.events[2].payload == nlohmann::json(PaymentFailed{UserId(2), 1, "UNKNOWN_USER"}));
}

TEST_CASE("An order is paid at most once, whatever the redelivery", "[payment][decide]") {
  const auto a = Ev("a"), again = Ev("a"), before = Ev("paid-before");
  PaymentState state;
  state.balances[1] = 100;
  state.paid.insert("paid-before");
  const std::vector<PaymentEvent> batch{Incoming<StockReserved>{&a, Reserved(1, 10)},
                                        Incoming<StockReserved>{&again, Reserved(1, 10)},
                                        Incoming<StockReserved>{&before, Reserved(1, 10)}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances.at(1) == 90);
  CHECK(d.payments.size() == 1);
  CHECK(d.events.size() == 1);
  CHECK(OrdersOf(batch) == std::vector<std::string>{"a", "a", "paid-before"});
  CHECK(UsersOf(batch) == std::vector<std::int64_t>{1});
}
