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
StockReserved Reserved(std::int64_t user, std::int64_t total,
                       std::optional<std::string> coupon = std::nullopt) {
  return {UserId(user), {{ProductId(1), 1, total}}, total, std::move(coupon)};
}
HeldCoupon Held(std::int64_t amount_off, bool valid_now = true,
                std::optional<std::string> used_by = std::nullopt) {
  HeldCoupon c;
  c.terms.discount_type = DiscountType::kAmount;
  c.terms.discount_value = amount_off;
  c.valid_now = valid_now;
  c.used_by = std::move(used_by);
  return c;
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
  CHECK(d.payments == std::vector<PaymentRow>{{"a", "pay-1", 1, 60, std::nullopt, 0, {}},
                                              {"b", "pay-2", 1, 60, "INSUFFICIENT_BALANCE", 0, {}},
                                              {"c", "pay-3", 2, 1, "UNKNOWN_USER", 0, {}}});
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].type == "payment.completed");
  CHECK(d.events[0].payload == nlohmann::json(PaymentCompleted{UserId(1), 60, 0, "pay-1", {}}));
  CHECK(d.events[0].cause == &a);
  CHECK(d.events[1].payload ==
        nlohmann::json(PaymentFailed{UserId(1), 60, "INSUFFICIENT_BALANCE", {}}));
  CHECK(d.events[2].payload == nlohmann::json(PaymentFailed{UserId(2), 1, "UNKNOWN_USER", {}}));
  CHECK(d.uses.empty());
}

TEST_CASE("A coupon takes its discount off the debit once, and is used by that order",
          "[payment][decide][coupon]") {
  const auto a = Ev("a"), b = Ev("b"), free = Ev("free");
  PaymentState state;
  state.balances[1] = 100;
  state.balances[2] = 0;
  state.coupons[{"TEN", 1}] = Held(10);
  state.coupons[{"BIG", 2}] = Held(1000);  // more than the total: the debit is 0
  const std::vector<PaymentEvent> batch{Incoming<StockReserved>{&a, Reserved(1, 60, "TEN")},
                                        Incoming<StockReserved>{&b, Reserved(1, 60, "TEN")},
                                        Incoming<StockReserved>{&free, Reserved(2, 70, "BIG")}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances == std::map<std::int64_t, std::int64_t>{{1, 50}, {2, 0}});
  CHECK(d.uses == std::vector<CouponUse>{{"TEN", 1, "a"}, {"BIG", 2, "free"}});
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].payload == nlohmann::json(PaymentCompleted{UserId(1), 50, 10, "pay-1", "TEN"}));
  // The same coupon in a second order of the batch: used already, nothing debited.
  CHECK(d.events[1].payload == nlohmann::json(PaymentFailed{UserId(1), 60, "COUPON_ALREADY_USED", "TEN"}));
  CHECK(d.events[2].payload == nlohmann::json(PaymentCompleted{UserId(2), 0, 70, "pay-3", "BIG"}));
  CHECK(d.payments[0] == PaymentRow{"a", "pay-1", 1, 50, std::nullopt, 10, "TEN"});
  CHECK(d.payments[1] == PaymentRow{"b", "pay-2", 1, 60, "COUPON_ALREADY_USED", 0, "TEN"});
}

TEST_CASE("A coupon not issued, used, or out of its window fails the payment, and a short balance "
          "leaves the coupon unused",
          "[payment][decide][coupon]") {
  const auto none = Ev("none"), used = Ev("used"), expired = Ev("expired"), poor = Ev("poor"),
             stranger = Ev("stranger");
  PaymentState state;
  state.balances[1] = 100;
  state.balances[2] = 5;
  state.coupons[{"USED", 1}] = Held(10, true, "earlier-order");
  state.coupons[{"OLD", 1}] = Held(10, false);
  state.coupons[{"TEN", 2}] = Held(10);
  const std::vector<PaymentEvent> batch{
      Incoming<StockReserved>{&none, Reserved(1, 60, "NEVER")},
      Incoming<StockReserved>{&used, Reserved(1, 60, "USED")},
      Incoming<StockReserved>{&expired, Reserved(1, 60, "OLD")},
      Incoming<StockReserved>{&poor, Reserved(2, 60, "TEN")},      // 50 to pay, 5 held
      Incoming<StockReserved>{&stranger, Reserved(3, 60, "TEN")}};  // no account: that first
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances.empty());
  CHECK(d.uses.empty());
  std::vector<std::string> reasons;
  for (const auto& p : d.payments) reasons.push_back(p.reason.value_or("-"));
  CHECK(reasons == std::vector<std::string>{"COUPON_NOT_ISSUED", "COUPON_ALREADY_USED", "COUPON_EXPIRED",
                                            "INSUFFICIENT_BALANCE", "UNKNOWN_USER"});
  for (const auto& p : d.payments) CHECK(p.discount == 0);
  for (const auto& e : d.events) CHECK(e.type == "payment.failed");
  CHECK(CouponsOf(batch) == std::vector<CouponKey>{{"NEVER", 1}, {"OLD", 1}, {"TEN", 2}, {"TEN", 3}, {"USED", 1}});
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

namespace {

Event Abort(const std::string& order) {
  return {Envelope::New(SagaAborted::kType, order, nlohmann::json::object()), ""};
}
SagaAborted Why(std::int64_t user) { return {reasons::kTimedOut, UserId(user), {{ProductId(1), 1}}, {}}; }

}  // namespace

TEST_CASE("An abort refunds a debit with its coupon, once, and confirms each time", "[payment][decide][deadline]") {
  const auto a = Abort("o"), again = Abort("o");
  PaymentState state;
  state.balances[1] = 40;
  state.paid.insert("o");
  state.payments["o"] = {"pay-o", 1, 60, "COMPLETED", "SPRING"};
  const std::vector<PaymentEvent> batch{Incoming<SagaAborted>{&a, Why(1)}, Incoming<SagaAborted>{&again, Why(1)}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances == std::map<std::int64_t, std::int64_t>{{1, 100}});
  CHECK(d.refunds == std::vector<std::string>{"o"});
  CHECK(d.returns == std::vector<CouponUse>{{"SPRING", 1, "o"}});
  CHECK(d.aborted == std::vector<std::string>{"o"});
  REQUIRE(d.events.size() == 2);
  const nlohmann::json refunded = PaymentRefunded{UserId(1), 60, "pay-o", "SPRING"};
  CHECK(d.events[0].payload == refunded);
  CHECK(d.events[1].payload == refunded);  // asked again: the same answer, no second credit
}

TEST_CASE("An abort with nothing debited refunds 0, and a later stock.reserved debits nothing",
          "[payment][decide][deadline]") {
  const auto a = Abort("o"), late = Ev("o"), failed = Abort("f");
  PaymentState state;
  state.balances[1] = 100;
  state.paid.insert("f");
  state.payments["f"] = {"pay-f", 1, 500, "FAILED", {}};
  const std::vector<PaymentEvent> batch{Incoming<SagaAborted>{&a, Why(1)}, Incoming<StockReserved>{&late, Reserved(1, 60)},
                                        Incoming<SagaAborted>{&failed, Why(1)}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances.empty());
  CHECK(d.payments.empty());
  CHECK(d.refunds.empty());
  CHECK(d.aborted == std::vector<std::string>{"o", "f"});
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].payload == nlohmann::json(PaymentRefunded{UserId(1), 0, {}, {}}));
  CHECK(d.events[1].payload == nlohmann::json(PaymentRefunded{UserId(1), 0, {}, {}}));
}

TEST_CASE("A debit and its abort in one batch: paid, then refunded", "[payment][decide][deadline]") {
  const auto r = Ev("o"), a = Abort("o");
  PaymentState state;
  state.balances[1] = 100;
  const std::vector<PaymentEvent> batch{Incoming<StockReserved>{&r, Reserved(1, 60)}, Incoming<SagaAborted>{&a, Why(1)}};
  const auto d = Decide(state, batch, Ids());
  CHECK(d.balances == std::map<std::int64_t, std::int64_t>{{1, 100}});
  CHECK(d.payments.size() == 1);
  CHECK(d.refunds == std::vector<std::string>{"o"});
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].type == "payment.completed");
  CHECK(d.events[1].payload == nlohmann::json(PaymentRefunded{UserId(1), 60, "pay-1", {}}));
  CHECK(UsersOf(batch) == std::vector<std::int64_t>{1});
  CHECK(AbortsOf(batch) == std::vector<std::string>{"o"});
}
