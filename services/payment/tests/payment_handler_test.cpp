#include <catch2/catch.hpp>

#include <thread>

#include "saga/contracts/saga.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/payment/balance.hpp"
#include "saga/payment/payment_handler.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using Harness = saga::test::Harness<saga::payment::PaymentHandler>;

namespace {

Envelope Reserved(const std::string& order, std::int64_t user, std::int64_t unit_price, int quantity) {
  return Envelope::New(StockReserved::kType, order,
                       StockReserved{UserId(user), {{ProductId(1), quantity, unit_price}}, unit_price * quantity, {}});
}
// User 1 with 10,000 and user 2 with 500.
void AddAccounts(Harness& h) {
  saga::db::Connection conn(h.schema.Db());
  conn.Execute("INSERT INTO accounts (user_id, balance, updated_at) VALUES "
               "(1, 10000, UTC_TIMESTAMP(3)), (2, 500, UTC_TIMESTAMP(3))");
  conn.Commit();
}
long long BalanceOf(const Harness& h, int user) {
  return h.schema.Scalar("SELECT balance FROM accounts WHERE user_id = " + std::to_string(user));
}

}  // namespace

TEST_CASE("A user is charged at most once per order", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  const auto reserved = Reserved("p-1", 1, 1000, 3);
  h.Deliver({reserved, reserved});
  h.Deliver({reserved, Reserved("p-1", 1, 1000, 3)});  // redelivery, and a second event for the order
  CHECK(BalanceOf(h, 1) == 7000);
  const auto completed = h.Emitted(PaymentCompleted::kType);
  REQUIRE(completed.size() == 1);
  const auto p = completed[0].payload.get<PaymentCompleted>();
  CHECK(p.amount == 3000);
  CHECK(IsUuid(p.payment_id));
  CHECK(h.schema.Count("payments") == 1);
}

TEST_CASE("Insufficient balance or an unknown user fails the payment and debits nothing", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  h.Deliver({Reserved("p-2", 2, 501, 1), Reserved("p-3", 99, 1, 1)});
  CHECK(BalanceOf(h, 2) == 500);
  const auto failed = h.Emitted(PaymentFailed::kType);
  REQUIRE(failed.size() == 2);
  CHECK(failed[0].payload == nlohmann::json{{"userId", 2}, {"amount", 501}, {"reason", "INSUFFICIENT_BALANCE"}});
  CHECK(failed[1].payload == nlohmann::json{{"userId", 99}, {"amount", 1}, {"reason", "UNKNOWN_USER"}});
  h.Deliver({Reserved("p-4", 2, 500, 1)});  // exactly the balance: allowed, down to zero
  CHECK(BalanceOf(h, 2) == 0);
}

namespace {

using saga::payment::ChargeOutcome;
using saga::payment::ChargeRequest;

std::vector<ChargeOutcome> ChargeBatch(Harness& h, const std::vector<ChargeRequest>& batch) {
  std::vector<const ChargeRequest*> requests;
  for (const auto& r : batch) requests.push_back(&r);
  return saga::db::InTransaction(h.pool, [&](saga::db::Transaction& tx) {
    auto out = saga::payment::ChargeMany(tx, requests);
    tx.Commit();
    return out;
  });
}

}  // namespace

TEST_CASE("Concurrent charge batches of one user are all counted and a repeated key once", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  auto charge = [&](std::int64_t amount, std::optional<std::string> key) {
    for (;;) {
      try {
        return ChargeBatch(h, {{1, amount, key}, {2, 1, std::nullopt}}).front();
      } catch (const saga::db::Error& e) {
        if (!e.IsDuplicateKey()) throw;  // lost the race for the key: replay
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) threads.emplace_back([&] { charge(100, std::nullopt); });
  for (int i = 0; i < 10; ++i) threads.emplace_back([&] { charge(7, std::string("same-key")); });
  for (auto& t : threads) t.join();
  CHECK(BalanceOf(h, 1) == 10000 + 10 * 100 + 7);
  CHECK(BalanceOf(h, 2) == 500 + 20);  // a batch that lost the key race was rolled back whole, then committed once
  CHECK(charge(8, std::string("same-key")).refusal == "IDEMPOTENCY_KEY_REUSED");
}

TEST_CASE("One charge batch applies its requests in order, replays and refuses each alone", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  ChargeBatch(h, {{1, 5, "before"}});
  const auto limit = saga::contracts::kMaxAmount;
  const auto out = ChargeBatch(h, {{1, 100, "k-1"},
                                   {3, 50, std::nullopt},     // a new user: an account at 0
                                   {1, 5, "before"},          // the first answer again
                                   {1, 6, "before-x"},        // new key: applied
                                   {2, limit, std::nullopt},  // past the money limit: refused alone
                                   {1, 1, std::nullopt}});
  REQUIRE(out.size() == 6);
  CHECK((out[0].result.previous_balance == 10005 && out[0].result.current_balance == 10105));
  CHECK((out[1].result.previous_balance == 0 && out[1].result.current_balance == 50));
  CHECK((out[2].result.replayed && out[2].result.current_balance == 10005));
  CHECK(out[3].result.current_balance == 10111);
  CHECK(out[4].refusal == "BALANCE_OUT_OF_RANGE");
  CHECK(out[5].result.current_balance == 10112);
  CHECK(BalanceOf(h, 1) == 10112);
  CHECK(BalanceOf(h, 2) == 500);
  CHECK(BalanceOf(h, 3) == 50);
  CHECK(h.schema.Scalar("SELECT current_balance FROM charges WHERE idem_key = 'before-x'") == 10111);
  CHECK(ChargeBatch(h, {{2, 5, "k-1"}}).front().refusal == "IDEMPOTENCY_KEY_REUSED");
}

TEST_CASE("Within one batch, each payment sees the balance the earlier ones left", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  h.Deliver({Reserved("q-1", 2, 300, 1),    // 500 -> 200
             Reserved("q-2", 1, 4000, 2),   // 10000 -> 2000
             Reserved("q-3", 2, 300, 1),    // 200 < 300: refused
             Reserved("q-4", 2, 200, 1),    // 200 -> 0
             Reserved("q-5", 1, 2000, 1)});  // 2000 -> 0
  CHECK(BalanceOf(h, 1) == 0);
  CHECK(BalanceOf(h, 2) == 0);
  std::vector<std::string> done, failed;
  for (const auto& e : h.Emitted(PaymentCompleted::kType)) done.push_back(e.order_id);
  for (const auto& e : h.Emitted(PaymentFailed::kType)) failed.push_back(e.order_id);
  CHECK(done == std::vector<std::string>{"q-1", "q-2", "q-4", "q-5"});
  CHECK(failed == std::vector<std::string>{"q-3"});
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM payments WHERE status = 'FAILED' AND reason = 'INSUFFICIENT_BALANCE'") == 1);
  CHECK(h.schema.Scalar("SELECT SUM(amount) FROM payments WHERE status = 'COMPLETED'") == 300 + 8000 + 200 + 2000);
}

namespace {

Envelope WithCoupon(const std::string& order, std::int64_t user, std::int64_t total, const std::string& coupon) {
  return Envelope::New(StockReserved::kType, order,
                       StockReserved{UserId(user), {{ProductId(1), 1, total}}, total, coupon});
}

// Campaign TEN takes 10% (at most 300) off; EXPIRED ended in 2000; user 1 holds one of each.
void AddCoupons(Harness& h) {
  saga::db::Connection conn(h.schema.Db());
  conn.Execute(
      "INSERT INTO coupon_campaigns (coupon_id, name, discount_type, discount_value, max_discount, quantity, issued, "
      "valid_from, valid_until, created_at, updated_at) VALUES "
      "('TEN', 'ten percent', 'PERCENT', 10, 300, 10, 1, NULL, NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)), "
      "('EXPIRED', 'over', 'AMOUNT', 100, NULL, 10, 1, NULL, '2000-01-01 00:00:00', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))");
  conn.Execute("INSERT INTO coupons (coupon_id, user_id, issued_at) VALUES "
               "('TEN', 1, UTC_TIMESTAMP(3)), ('EXPIRED', 1, UTC_TIMESTAMP(3))");
  conn.Commit();
}

}  // namespace

TEST_CASE("A coupon is applied in the debit's transaction and used by one order only", "[payment][coupon]") {
  Harness h("payment_db");
  AddAccounts(h);
  AddCoupons(h);
  // Two orders with the same coupon, in batches of two consumers at once: one debit gets it.
  saga::metrics::Registry other_registry;
  saga::messaging::EventProcessor other("test-2", h.pool, h.dlq, h.handler, other_registry);
  std::thread first([&] { h.Deliver({WithCoupon("cp-1", 1, 2000, "TEN")}); });
  std::thread second([&] { other.ProcessBatch({saga::test::Delivered(WithCoupon("cp-2", 1, 2000, "TEN"), 0)}); });
  first.join();
  second.join();
  CHECK(BalanceOf(h, 1) == 10000 - 1800);
  const auto completed = h.Emitted(PaymentCompleted::kType);
  REQUIRE(completed.size() == 1);
  const auto paid = completed[0].payload.get<PaymentCompleted>();
  CHECK(paid.amount == 1800);
  CHECK(paid.discount == 200);
  CHECK(paid.coupon_id == std::optional<std::string>("TEN"));
  const auto failed = h.Emitted(PaymentFailed::kType);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].payload.at("reason") == "COUPON_ALREADY_USED");
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM coupons WHERE coupon_id = 'TEN' AND user_id = 1 AND used_by_order_id = '" +
                        completed[0].order_id + "' AND used_at IS NOT NULL") == 1);
  CHECK(h.schema.Scalar("SELECT discount FROM payments WHERE order_id = '" + completed[0].order_id + "'") ==
        200);
}

TEST_CASE("A coupon not issued or expired fails the payment, and a short balance leaves it unused",
          "[payment][coupon]") {
  Harness h("payment_db");
  AddAccounts(h);
  AddCoupons(h);
  h.Deliver({WithCoupon("cx-1", 2, 100, "TEN"),        // user 2 holds no TEN
             WithCoupon("cx-2", 1, 100, "EXPIRED"),    // its window ended
             WithCoupon("cx-3", 1, 1000000, "TEN")});  // 999,700 to pay, 10,000 held
  CHECK(BalanceOf(h, 1) == 10000);
  CHECK(BalanceOf(h, 2) == 500);
  const auto failed = h.Emitted(PaymentFailed::kType);
  REQUIRE(failed.size() == 3);
  CHECK(failed[0].payload.at("reason") == "COUPON_NOT_ISSUED");
  CHECK(failed[1].payload.at("reason") == "COUPON_EXPIRED");
  CHECK(failed[2].payload.at("reason") == "INSUFFICIENT_BALANCE");
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM coupons WHERE used_by_order_id IS NOT NULL") == 0);
  // The coupon is still there for a payment the balance covers.
  h.Deliver({WithCoupon("cx-4", 1, 1000, "TEN")});
  CHECK(BalanceOf(h, 1) == 10000 - 900);
}

TEST_CASE("A stock.reserved and its saga.aborted racing in two transactions never leave a debit",
          "[payment][deadline]") {
  // docs/adr/0017: both lock the user's account before they read what the other did.
  Harness h("payment_db");
  AddAccounts(h);
  saga::metrics::Registry registry;
  saga::messaging::EventProcessor second("test", h.pool, h.dlq, h.handler, registry);
  constexpr int kOrders = 40;
  std::vector<Envelope> reserved, aborted;
  for (int i = 0; i < kOrders; ++i) {
    const auto id = "pay-abort-race-" + std::to_string(i);
    reserved.push_back(Reserved(id, 1, 100, 1));
    aborted.push_back(Envelope::New(SagaAborted::kType, id,
                                    SagaAborted{reasons::kTimedOut, UserId(1), {{ProductId(1), 1}}, {}}));
  }
  std::thread pays([&] {
    for (int i = 0; i < kOrders; ++i) h.processor.ProcessBatch({saga::test::Delivered(reserved[i], i)});
  });
  for (int i = 0; i < kOrders; ++i) second.ProcessBatch({saga::test::Delivered(aborted[i], i)});
  pays.join();
  CHECK(BalanceOf(h, 1) == 10000);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM payments WHERE status = 'COMPLETED'") == 0);
  CHECK(h.schema.Count("aborted_orders") == kOrders);
  const auto debited = h.Emitted(PaymentCompleted::kType).size();
  std::int64_t refunded = 0;
  for (const auto& e : h.Emitted(PaymentRefunded::kType)) refunded += e.payload.at("amount").get<std::int64_t>();
  CHECK(h.Emitted(PaymentRefunded::kType).size() == kOrders);
  CHECK(refunded == static_cast<std::int64_t>(debited) * 100);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM payments WHERE status = 'REFUNDED'") == static_cast<long long>(debited));
}

TEST_CASE("An abort refunds the debit and gives the coupon back for another order", "[payment][coupon][deadline]") {
  Harness h("payment_db");
  AddAccounts(h);
  {
    saga::db::Connection conn(h.schema.Db());
    conn.Execute("INSERT INTO coupon_campaigns (coupon_id, name, discount_type, discount_value, quantity, issued, "
                 "created_at, updated_at) VALUES ('BACK', 'back', 'AMOUNT', 300, 10, 1, UTC_TIMESTAMP(3), "
                 "UTC_TIMESTAMP(3))");
    conn.Execute("INSERT INTO coupons (coupon_id, user_id, issued_at) VALUES ('BACK', 1, UTC_TIMESTAMP(3))");
    conn.Commit();
  }
  const auto with_coupon = [](const std::string& order) {
    return Envelope::New(StockReserved::kType, order,
                         StockReserved{UserId(1), {{ProductId(1), 1, 1000}}, 1000, "BACK"});
  };
  h.Deliver({with_coupon("c-1")});
  CHECK(BalanceOf(h, 1) == 9300);
  h.Deliver({Envelope::New(SagaAborted::kType, "c-1",
                           SagaAborted{reasons::kTimedOut, UserId(1), {{ProductId(1), 1}}, "BACK"})});
  CHECK(BalanceOf(h, 1) == 10000);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM coupons WHERE used_by_order_id IS NULL") == 1);
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM payments WHERE order_id = 'c-1' AND status = 'REFUNDED'") == 1);
  const auto refunds = h.Emitted(PaymentRefunded::kType);
  REQUIRE(refunds.size() == 1);
  CHECK(refunds[0].payload.at("amount") == 700);
  CHECK(refunds[0].payload.at("couponId") == "BACK");
  h.Deliver({with_coupon("c-2")});  // the coupon works again
  CHECK(BalanceOf(h, 1) == 9300);
  CHECK(h.Emitted(PaymentCompleted::kType).size() == 2);
}
