#include <catch2/catch.hpp>

#include "saga/completion/completion_handler.hpp"
#include "saga/contracts/saga_events.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using Harness = saga::test::Harness<saga::completion::CompletionHandler>;

namespace {

std::vector<Envelope> CompensatedSaga(const std::string& order) {
  return {Envelope::New(OrderCreated::kType, order, OrderCreated{UserId(1), {{ProductId(1), 1}}, {}}),
          Envelope::New(StockReserved::kType, order, StockReserved{UserId(1), {{ProductId(1), 1, 2000}}, 2000, {}}),
          Envelope::New(PaymentFailed::kType, order, PaymentFailed{UserId(1), 2000, reasons::kInsufficientBalance, {}}),
          Envelope::New(StockReleased::kType, order, StockReleased{{{ProductId(1), 1}}})};
}

std::string Status(const Harness& h, const std::string& order) {
  saga::db::Connection conn(h.schema.Db());
  auto rs = conn.Query("SELECT CONCAT(status, '/', COALESCE(reason, '-')) FROM sagas WHERE order_id = '" + order + "'");
  std::string s = rs->next() ? rs->getString(1).asStdString() : "";
  conn.Commit();
  return s;
}

}  // namespace

TEST_CASE("Events delivered twice and in reverse order end the saga once", "[completion]") {
  Harness h("completion_db");
  auto events = CompensatedSaga("c-1");
  std::reverse(events.begin(), events.end());
  for (const auto& e : events) {
    h.Deliver({e});
    h.Deliver({e});
  }
  CHECK(Status(h, "c-1") == "CANCELLED/INSUFFICIENT_BALANCE");
  const auto cancelled = h.Emitted(OrderCancelled::kType);
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].payload == nlohmann::json{{"reason", "INSUFFICIENT_BALANCE"}});
  CHECK(h.Emitted(OrderCompleted::kType).empty());
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM saga_steps WHERE order_id = 'c-1'") == 5);
  CHECK(h.schema.Scalar("SELECT duration_ms IS NOT NULL FROM sagas WHERE order_id = 'c-1'") == 1);
}

TEST_CASE("A cancelled saga that reserved stock waits for stock.released", "[completion]") {
  Harness h("completion_db");
  const auto events = CompensatedSaga("c-2");
  h.Deliver({events[0], events[1], events[2]});
  CHECK(Status(h, "c-2") == "PENDING/-");
  CHECK(h.Emitted(OrderCancelled::kType).empty());
  h.Deliver({events[3]});
  CHECK(Status(h, "c-2") == "CANCELLED/INSUFFICIENT_BALANCE");
}

TEST_CASE("A paid saga completes once in one batch, and only with its whole timeline", "[completion]") {
  Harness h("completion_db");
  const std::string order = "c-3";
  const auto paid =
      Envelope::New(PaymentCompleted::kType, order, PaymentCompleted{UserId(1), 1800, 200, NewUuid(), "SPRING"});
  const auto created = Envelope::New(OrderCreated::kType, order, OrderCreated{UserId(1), {{ProductId(1), 1}}, "SPRING"});
  h.Deliver({paid, created, paid});
  CHECK(Status(h, order) == "PENDING/-");  // stock.reserved is not recorded yet
  CHECK(h.Emitted(OrderCompleted::kType).empty());
  h.Deliver({Envelope::New(StockReserved::kType, order,
                           StockReserved{UserId(1), {{ProductId(1), 1, 2000}}, 2000, "SPRING"}),
             paid});
  CHECK(Status(h, order) == "COMPLETED/-");
  const auto completed = h.Emitted(OrderCompleted::kType);
  REQUIRE(completed.size() == 1);
  // The debit and the discount come from payment.completed, recorded in the batch before.
  CHECK(completed[0].payload == nlohmann::json{{"amount", 1800}, {"discount", 200}, {"couponId", "SPRING"}});
  CHECK(h.schema.Scalar("SELECT discount FROM saga_steps WHERE order_id = 'c-3' AND event_type = 'order.completed'") ==
        200);
  // Every required step is stored before the final one.
  CHECK(h.schema.Scalar("SELECT COUNT(*) FROM saga_steps s JOIN saga_steps f ON f.order_id = s.order_id "
                        "WHERE s.order_id = 'c-3' AND f.event_type = 'order.completed' AND s.recorded_at > f.recorded_at") == 0);
}

TEST_CASE("One batch decides each saga with its stored steps where they matter", "[completion]") {
  Harness h("completion_db");
  const auto failed = CompensatedSaga("c-4");  // stock.released stored first, payment.failed later
  const auto waiting = CompensatedSaga("c-5");  // payment.failed stored, stock.reserved later
  h.Deliver({failed[3], waiting[2]});
  CHECK(Status(h, "c-4") == "PENDING/-");
  CHECK(Status(h, "c-5") == "PENDING/-");
  const auto paid = Envelope::New(PaymentCompleted::kType, "c-6", PaymentCompleted{UserId(1), 2000, 0, NewUuid(), {}});
  const auto created = Envelope::New(OrderCreated::kType, "c-6", OrderCreated{UserId(1), {{ProductId(1), 1}}, {}});
  const auto reserved =
      Envelope::New(StockReserved::kType, "c-6", StockReserved{UserId(1), {{ProductId(1), 1, 2000}}, 2000, {}});
  h.Deliver({failed[2], waiting[1], paid, failed[0], created, failed[1], reserved});
  CHECK(Status(h, "c-4") == "CANCELLED/INSUFFICIENT_BALANCE");
  CHECK(Status(h, "c-5") == "PENDING/-");
  CHECK(Status(h, "c-6") == "COMPLETED/-");
  CHECK(h.Emitted(OrderCancelled::kType).size() == 1);
  CHECK(h.Emitted(OrderCompleted::kType).size() == 1);
  h.Deliver({waiting[3]});
  CHECK(Status(h, "c-5") == "PENDING/-");  // order.created is still missing
  h.Deliver({waiting[0]});
  CHECK(Status(h, "c-5") == "CANCELLED/INSUFFICIENT_BALANCE");
}
