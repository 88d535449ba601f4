#include <catch2/catch.hpp>

#include "saga/contracts/saga_events.hpp"
#include "saga/order/final_status_handler.hpp"
#include "saga/order/order_service.hpp"
#include "place.hpp"
#include "support/harness.hpp"

using namespace saga::contracts;
using Harness = saga::test::Harness<saga::order::FinalStatusHandler>;

namespace {

std::string PlaceIn(Harness& h) {
  saga::order::OrderService service(h.pool);
  const auto cmd = saga::order::ParsePlaceOrder(
      nlohmann::json::parse(R"({"userId":1,"items":[{"productId":1,"quantity":1}]})"));
  return saga::order::test::Place(service, saga::order::NewOrder{cmd, std::nullopt, ""}).order_id;
}

}  // namespace

TEST_CASE("The order takes its final status once, from the first final event", "[order]") {
  Harness h("order_db");
  const auto order_id = PlaceIn(h);
  const auto cancelled = Envelope::New(OrderCancelled::kType, order_id, OrderCancelled{reasons::kOutOfStock});
  h.Deliver({cancelled, cancelled});
  h.Deliver({Envelope::New(OrderCompleted::kType, order_id, OrderCompleted{}), cancelled});
  const auto view = saga::order::OrderService(h.pool).Get(order_id);
  REQUIRE(view);
  CHECK(view->status == "CANCELLED");
  CHECK(view->reason == std::optional<std::string>("OUT_OF_STOCK"));
}

TEST_CASE("Malformed final events go to the DLQ and later ones still apply", "[order][dlq]") {
  Harness h("order_db");
  const auto order_id = PlaceIn(h);
  const auto key = saga::test::UniqueName("order-dlq");
  auto no_reason = saga::test::Delivered(Envelope::New(OrderCancelled::kType, key, nlohmann::json::object()), 1);
  auto garbage = saga::test::Delivered(Envelope::New(OrderCompleted::kType, key, OrderCompleted{}), 2);
  garbage.value = "[1,2";
  const auto good = saga::test::Delivered(Envelope::New(OrderCompleted::kType, order_id, OrderCompleted{}), 3);
  h.processor.ProcessBatch({no_reason, garbage, good});
  CHECK(saga::order::OrderService(h.pool).Get(order_id)->status == "COMPLETED");
  for (const auto* topic : {OrderCancelled::kType, OrderCompleted::kType}) {
    const auto dlq = saga::test::ReadTopicUntil(
        std::string(topic) + ".dlq",
        [&](const auto& got) {
          return std::any_of(got.begin(), got.end(), [&](const auto& m) { return m.key == key; });
        },
        std::chrono::seconds(30));
    CHECK(std::count_if(dlq.begin(), dlq.end(), [&](const auto& m) { return m.key == key; }) == 1);
  }
}

TEST_CASE("One batch finishes many orders, each with its own status and reason", "[order][batch]") {
  Harness h("order_db");
  const auto a = PlaceIn(h);
  const auto b = PlaceIn(h);
  const auto c = PlaceIn(h);
  const auto untouched = PlaceIn(h);
  // c gets two different final events in one batch: the first one counts.
  h.Deliver({Envelope::New(OrderCompleted::kType, a, OrderCompleted{1800, 200, "SPRING"}),
             Envelope::New(OrderCancelled::kType, b, OrderCancelled{reasons::kUnknownUser}),
             Envelope::New(OrderCancelled::kType, c, OrderCancelled{reasons::kInsufficientBalance}),
             Envelope::New(OrderCompleted::kType, c, OrderCompleted{})});
  saga::order::OrderService service(h.pool);
  CHECK(service.Get(a)->status == "COMPLETED");
  CHECK_FALSE(service.Get(a)->reason.has_value());
  CHECK(service.Get(a)->amount == std::optional<std::int64_t>(1800));
  CHECK(service.Get(a)->discount == std::optional<std::int64_t>(200));
  CHECK(service.Get(b)->status == "CANCELLED");
  CHECK_FALSE(service.Get(b)->discount.has_value());
  CHECK(service.Get(b)->reason == std::optional<std::string>("UNKNOWN_USER"));
  CHECK(service.Get(c)->status == "CANCELLED");
  CHECK(service.Get(c)->reason == std::optional<std::string>("INSUFFICIENT_BALANCE"));
  CHECK(service.Get(untouched)->status == "PENDING");
}
