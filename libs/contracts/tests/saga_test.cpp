#include "saga/contracts/saga.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "saga/contracts/saga_events.hpp"

using namespace saga::contracts;

namespace {

Envelope Wrap(const char* type, nlohmann::json payload) {
  return Envelope::New(type, "order-1", std::move(payload));
}

// A valid payload of every declared event type, made from its struct.
nlohmann::json Sample(std::string_view type) {
  const std::string uuid = NewUuid();
  if (type == OrderCreated::kType) return OrderCreated{UserId(1), {{ProductId(2), 3}}, "SPRING"};
  if (type == StockReserved::kType) return StockReserved{UserId(1), {{ProductId(2), 3, 100}}, 300, "SPRING"};
  if (type == StockRejected::kType) return StockRejected{reasons::kOutOfStock, ProductId(2)};
  if (type == PaymentCompleted::kType) return PaymentCompleted{UserId(1), 250, 50, uuid, "SPRING"};
  if (type == PaymentFailed::kType) return PaymentFailed{UserId(1), 300, reasons::kCouponAlreadyUsed, "SPRING"};
  if (type == StockReleased::kType) return StockReleased{{{ProductId(2), 3}}};
  if (type == OrderCompleted::kType) return OrderCompleted{250, 50, "SPRING"};
  if (type == OrderCancelled::kType) return OrderCancelled{reasons::kOutOfStock};
  if (type == SagaExpired::kType) return SagaExpired{UserId(1), {{ProductId(2), 3}}, "SPRING", 2};
  if (type == SagaAborted::kType) return SagaAborted{reasons::kTimedOut, UserId(1), {{ProductId(2), 3}}, "SPRING"};
  if (type == StockAborted::kType) return StockAborted{{{ProductId(2), 3}}};
  if (type == PaymentRefunded::kType) return PaymentRefunded{UserId(1), 250, uuid, "SPRING"};
  FAIL("no sample for " << type);
  return {};
}

}  // namespace

TEST_CASE("Every declared event type's own struct satisfies its contract", "[contracts][saga]") {
  for (const auto& e : Saga().events) {
    INFO(e.name);
    CHECK_NOTHROW(CheckPayload(e, Sample(e.name)));
    auto extra = Sample(e.name);
    extra["unexpected"] = 1;
    CHECK_THROWS_WITH(CheckPayload(e, extra), Catch::Contains("'unexpected' is not declared"));
    for (const auto& f : e.payload) {
      if (!f.required) continue;
      auto missing = Sample(e.name);
      missing.erase(std::string(f.name));
      CHECK_THROWS_WITH(CheckPayload(e, missing), Catch::Contains(std::string(f.name)) &&
                                                      Catch::Contains(std::string(e.name)));
    }
  }
}

TEST_CASE("Only a coupon gives a discount, and a coupon travels from order to payment", "[contracts][saga]") {
  for (const auto* type : {PaymentCompleted::kType, OrderCompleted::kType}) {
    INFO(type);
    auto forged = Sample(type);
    forged.erase("couponId");
    CHECK_THROWS_WITH(CheckPayload(Saga().Get(type), forged), Catch::Contains("without a couponId"));
    forged["discount"] = 0;
    CHECK_NOTHROW(CheckPayload(Saga().Get(type), forged));
  }
  const auto reserved = Decode<StockReserved>(Wrap(StockReserved::kType, Sample(StockReserved::kType)));
  CHECK(reserved.coupon_id == std::optional<std::string>("SPRING"));
  const auto paid = Decode<PaymentCompleted>(Wrap(PaymentCompleted::kType, Sample(PaymentCompleted::kType)));
  CHECK(paid.discount == 50);
  CHECK(paid.amount == 250);
  CHECK(paid.coupon_id == std::optional<std::string>("SPRING"));
  for (const auto* reason : {reasons::kCouponNotIssued, reasons::kCouponAlreadyUsed, reasons::kCouponExpired}) {
    const auto reasons_of_saga = Saga().Reasons();
    CHECK(std::find(reasons_of_saga.begin(), reasons_of_saga.end(), reason) != reasons_of_saga.end());
  }
}

TEST_CASE("Payload checks refuse forged values: ranges, types, enums, UUIDs, sizes",
          "[contracts][saga]") {
  const auto& created = Saga().Get(OrderCreated::kType);
  auto bad = [&](nlohmann::json items) {
    return nlohmann::json{{"userId", 1}, {"items", std::move(items)}};
  };
  CHECK_THROWS_WITH(CheckPayload(created, bad({{{"productId", 1}, {"quantity", -5}}})),
                    Catch::Contains("items[0].quantity"));
  CHECK_THROWS_AS(CheckPayload(created, bad({{{"productId", 1}, {"quantity", 0}}})), ContractError);
  CHECK_THROWS_AS(CheckPayload(created, bad({{{"productId", 1}, {"quantity", 10001}}})),
                  ContractError);
  CHECK_THROWS_AS(CheckPayload(created, bad({{{"productId", 1}, {"quantity", 4294967297LL}}})),
                  ContractError);
  CHECK_THROWS_AS(CheckPayload(created, bad({{{"productId", 1}, {"quantity", 1.5}}})),
                  ContractError);
  CHECK_THROWS_AS(CheckPayload(created, bad({{{"productId", 0}, {"quantity", 1}}})), ContractError);
  CHECK_THROWS_AS(CheckPayload(created, bad(nlohmann::json::array())), ContractError);
  nlohmann::json many = nlohmann::json::array();
  for (int i = 1; i <= 51; ++i) many.push_back({{"productId", i}, {"quantity", 1}});
  CHECK_THROWS_WITH(CheckPayload(created, bad(many)), Catch::Contains("51 items"));
  CHECK_THROWS_AS(
      CheckPayload(created, {{"userId", 0}, {"items", {{{"productId", 1}, {"quantity", 1}}}}}),
      ContractError);
  CHECK_THROWS_AS(CheckPayload(created, nlohmann::json::array()), ContractError);
  CHECK_THROWS_AS(CheckPayload(created, {{"userId", 1},
                                         {"items", {{{"productId", 1}, {"quantity", 1}}}},
                                         {"couponId", ""}}),
                  ContractError);

  const auto& rejected = Saga().Get(StockRejected::kType);
  CHECK_THROWS_WITH(CheckPayload(rejected, {{"reason", "TOO_EXPENSIVE"}}),
                    Catch::Contains("TOO_EXPENSIVE"));
  const auto& paid = Saga().Get(PaymentCompleted::kType);
  CHECK_THROWS_WITH(CheckPayload(paid, {{"userId", 1}, {"amount", 1}, {"discount", 0}, {"paymentId", "not-a-uuid"}}),
                    Catch::Contains("paymentId"));
  CHECK_THROWS_AS(CheckPayload(paid, {{"userId", 1}, {"amount", -1}, {"paymentId", NewUuid()}}),
                  ContractError);
}

TEST_CASE("Decode checks the envelope's type and the declared contract before reading",
          "[contracts][saga]") {
  const auto ok = Wrap(OrderCreated::kType, Sample(OrderCreated::kType));
  CHECK(Decode<OrderCreated>(ok).items.size() == 1);
  CHECK_THROWS_WITH(Decode<StockReserved>(ok), Catch::Contains("is not stock.reserved"));
  const auto forged =
      Wrap(OrderCreated::kType, {{"userId", 1}, {"items", {{{"productId", 1}, {"quantity", -5}}}}});
  CHECK_THROWS_WITH(Decode<OrderCreated>(forged), Catch::Contains("order.created payload"));
}

TEST_CASE("The declaration is consistent: topics, participants, outcomes and reasons",
          "[contracts][saga]") {
  const auto& saga = Saga();
  std::set<std::string> names;
  for (const auto& e : saga.events) {
    CHECK(names.insert(std::string(e.name)).second);
    CHECK_FALSE(e.consumers.empty());
    CHECK(std::find(e.consumers.begin(), e.consumers.end(), e.producer) == e.consumers.end());
    CHECK_FALSE(e.meaning.empty());
  }
  CHECK(saga.BrokerTopics().size() == 2 * saga.events.size());
  CHECK(saga.ConsumedBy(Participant::kPayment) == std::vector<std::string>{"stock.reserved", "saga.aborted"});
  for (const auto& o : saga.outcomes) {
    for (auto r : o.needs) CHECK(saga.Find(r) != nullptr);
    CHECK(saga.Get(o.announced_by).producer == Participant::kCompletion);
    // A final saga's timeline is complete: from the order, or, for an abort, from the abort (the
    // order.created may be what was lost), which every other outcome gives way to.
    if (o.unless.empty()) {
      CHECK(o.needs.front() == o.reason_from);
      CHECK(saga.Get(o.reason_from).producer == Participant::kCompletion);
      for (const auto& other : saga.outcomes) {
        if (&other != &o) CHECK(other.unless == o.reason_from);
      }
    } else {
      CHECK(o.needs.front() == "order.created");
    }
    if (!o.compensation.empty()) {
      CHECK(std::find(o.needs.begin(), o.needs.end(), o.compensation) != o.needs.end());
    }
    CHECK(o.reason_from.empty() == (o.status == "COMPLETED"));
  }
  // order.cancelled carries exactly the reasons an outcome can give; the named constants are
  // among them.
  const auto reasons = saga.Reasons();
  const auto& cancelled = saga.Get(OrderCancelled::kType).payload.front();
  CHECK(std::vector<std::string>(cancelled.values.begin(), cancelled.values.end()) == reasons);
  for (const auto* r : {reasons::kOutOfStock, reasons::kUnknownProduct,
                        reasons::kInsufficientBalance, reasons::kUnknownUser, reasons::kTimedOut}) {
    CHECK(std::find(reasons.begin(), reasons.end(), r) != reasons.end());
  }
}

TEST_CASE("The payload schema and the flow picture come from the declaration",
          "[contracts][saga]") {
  const auto schema = PayloadSchema(Saga().Get(OrderCreated::kType));
  CHECK(schema["required"] == nlohmann::json{"userId", "items"});
  CHECK(schema["properties"]["items"]["maxItems"] == 50);
  CHECK(schema["properties"]["items"]["items"]["properties"]["quantity"]["maximum"] == 10000);
  const auto flow = FlowPicture(Saga());
  CHECK(flow.find("[stock.reserved]") != std::string::npos);
  CHECK(flow.find("(stock.released is the compensation)") != std::string::npos);
  CHECK(flow.find("{userId, items[{productId, quantity}], couponId?}") != std::string::npos);
  const auto json = ToJson(Saga());
  CHECK(json["events"].size() == Saga().events.size());
  CHECK(json["brokerTopics"].size() == 2 * Saga().events.size());
}
