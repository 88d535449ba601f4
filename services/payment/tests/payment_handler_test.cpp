#include <catch2/catch.hpp>

#include <thread>

#include "saga/contracts/saga_events.hpp"
#include "saga/payment/balance.hpp"
#include "saga/payment/payment_handler.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using Harness = saga::test::Harness<saga::payment::PaymentHandler>;

namespace {

Envelope Reserved(const std::string& order, std::int64_t user, std::int64_t unit_price, int quantity) {
  return Envelope::New(StockReserved::kType, order,
                       StockReserved{UserId(user), {{ProductId(1), quantity, unit_price}}, unit_price * quantity});
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

TEST_CASE("Concurrent charges of one user are all counted and a repeated key once", "[payment]") {
  Harness h("payment_db");
  AddAccounts(h);
  auto charge = [&](std::int64_t amount, std::optional<std::string> key) {
    for (;;) {
      try {
        return saga::db::InTransaction(h.pool, [&](saga::db::Transaction& tx) {
          auto r = saga::payment::Charge(tx, 1, amount, key);
          tx.Commit();
          return r;
        });
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
  CHECK_THROWS_AS(charge(8, std::string("same-key")), saga::payment::ChargeKeyConflict);
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
