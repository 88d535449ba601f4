#include "saga/completion/completion_rules.hpp"

#include <catch2/catch.hpp>

#include "saga/completion/completion_handler.hpp"
#include "saga/contracts/saga.hpp"

using namespace saga::contracts;
using saga::messaging::Event;
using saga::messaging::Incoming;
using namespace saga::completion;

namespace {

Event Ev(const char* type, const std::string& order,
         const std::string& at = "2026-11-21T12:00:00.000Z") {
  auto env = Envelope::New(type, order, nlohmann::json::object());
  env.occurred_at = at;
  return {std::move(env), ""};
}
std::function<std::string()> Ids() {
  return [n = 0]() mutable { return "final-" + std::to_string(++n); };
}
const std::string kNow = "2026-11-21T12:00:01.500Z";

}  // namespace

TEST_CASE("completion subscribes to what the saga declares it consumes", "[completion]") {
  CHECK(CompletionHandler().Topics() == Saga().ConsumedBy(Participant::kCompletion));
}

TEST_CASE("A batch's steps, with reasons and database times", "[completion][decide]") {
  const auto created = Ev(OrderCreated::kType, "o", "2026-11-21T12:00:00.250Z");
  const auto rejected = Ev(StockRejected::kType, "o");
  const std::vector<CompletionEvent> batch{
      Incoming<OrderCreated>{&created, {UserId(1), {{ProductId(1), 1}}, {}}},
      Incoming<StockRejected>{&rejected, {reasons::kOutOfStock, ProductId(1)}}};
  const auto steps = StepsOf(batch);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].occurred == "2026-11-21 12:00:00.250");
  CHECK_FALSE(steps[0].reason);
  CHECK(steps[1].reason == std::optional<std::string>("OUT_OF_STOCK"));
  CHECK(EarliestOf(steps).at("o") == "2026-11-21 12:00:00.000");
  const auto bad = Ev(OrderCreated::kType, "o", "yesterday");
  CHECK_THROWS_AS(StepsOf({Incoming<OrderCreated>{&bad, {UserId(1), {{ProductId(1), 1}}, {}}}}),
                  ContractError);
}

TEST_CASE("A saga that becomes final is recorded, announced and published once",
          "[completion][decide]") {
  const auto created = Ev(OrderCreated::kType, "o");
  const auto reserved = Ev(StockReserved::kType, "o");
  const auto paid = Ev(PaymentCompleted::kType, "o");
  std::vector<StepIn> steps{{&created, std::nullopt, "2026-11-21 12:00:00.000"},
                            {&reserved, std::nullopt, "2026-11-21 12:00:00.000"},
                            {&paid, std::nullopt, "2026-11-21 12:00:00.000", {1500, 500, "HALF"}}};
  CompletionState state;
  state.sagas["o"] = {"PENDING", DbTimeMillis("2026-11-21 12:00:00.000")};
  const auto d = Decide(state, steps, kNow, Ids());
  REQUIRE(d.finishes.size() == 1);
  CHECK(d.finishes[0].status == "COMPLETED");
  CHECK(d.finishes[0].duration_ms == 1500);
  CHECK(d.finishes[0].finished_at == "2026-11-21 12:00:01.500");
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].type == "order.completed");
  CHECK(d.events[0].cause == &paid);  // the saga's last event of the batch
  CHECK(d.events[0].event_id == "final-1");
  CHECK(d.events[0].occurred_at == kNow);
  CHECK(d.events[0].payload == nlohmann::json{{"amount", 1500}, {"discount", 500}, {"couponId", "HALF"}});
  CHECK(d.steps.size() == 4);
  CHECK(d.steps.back().type == "order.completed");
  CHECK(d.steps.back().money == Money{1500, 500, "HALF"});
  REQUIRE(d.updates.size() == 3);
  CHECK_FALSE(d.updates[0].final);
  REQUIRE(d.updates[2].final);
  CHECK((*d.updates[2].final)["status"] == "COMPLETED");
  CHECK(d.updates[2].steps.back()["eventId"] == "final-1");
}

TEST_CASE("Stored steps complete a compensation, and a final saga only gains a late step",
          "[completion][decide]") {
  const auto released = Ev(StockReleased::kType, "refused");
  const auto late = Ev(OrderCreated::kType, "done");
  std::vector<StepIn> steps{{&released, std::nullopt, "2026-11-21 12:00:00.000"},
                            {&late, std::nullopt, "2026-11-21 12:00:00.000"}};
  CompletionState state;
  state.sagas["refused"] = {"PENDING", 0};
  state.sagas["done"] = {"COMPLETED", 0};
  state.history["refused"] = {{"order.created", {}}, {"stock.reserved", {}}, {"payment.failed", "INSUFFICIENT_BALANCE"}};
  const auto d = Decide(state, steps, kNow, Ids());
  REQUIRE(d.finishes.size() == 1);
  CHECK(d.finishes[0].order_id == "refused");
  CHECK(d.finishes[0].reason == std::optional<std::string>("INSUFFICIENT_BALANCE"));
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].type == "order.cancelled");
  CHECK(d.events[0].payload == nlohmann::json{{"reason", "INSUFFICIENT_BALANCE"}});
  CHECK(d.steps.size() == 3);  // both steps recorded, one final step
}

TEST_CASE("Without the stored steps a compensation stays pending", "[completion][decide]") {
  const auto released = Ev(StockReleased::kType, "o");
  std::vector<StepIn> steps{{&released, std::nullopt, "2026-11-21 12:00:00.000"}};
  CompletionState state;
  state.sagas["o"] = {"PENDING", 0};
  const auto d = Decide(state, steps, kNow, Ids());
  CHECK(d.finishes.empty());
  CHECK(d.events.empty());
  CHECK(d.steps.size() == 1);
}
