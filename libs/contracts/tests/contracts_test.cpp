#include <catch2/catch.hpp>

#include <limits>
#include <set>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/ids.hpp"
#include "saga/contracts/json.hpp"
#include "saga/contracts/saga.hpp"
#include "saga/contracts/order_events.hpp"
#include "saga/contracts/trace.hpp"

using namespace saga::contracts;

TEST_CASE("NewUuid gives unique valid time-ordered version 7 ids", "[contracts]") {
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 2000; ++i) {
    const auto id = NewUuid();
    REQUIRE(IsUuid(id));
    CHECK(id[14] == '7');
    CHECK((id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b'));
    CHECK(id.substr(0, 13) >= prev.substr(0, std::min<std::size_t>(prev.size(), 13)));
    prev = id;
    seen.insert(id);
  }
  CHECK(seen.size() == 2000);
  CHECK_FALSE(IsUuid("not-a-uuid"));
  CHECK_FALSE(IsUuid("0123456789abcdef0123456789abcdef0123"));
}

TEST_CASE("Envelope round-trips through JSON with every field", "[contracts]") {
  const OrderCreated payload{UserId(7), {{ProductId(1), 2}, {ProductId(3), 4}}, "SPRING"};
  const auto cause = NewUuid();
  auto env = Envelope::New(OrderCreated::kType, "order-1", payload, cause);
  const auto text = env.Serialize();
  const auto back = Envelope::Parse(text);
  CHECK(back.event_id == env.event_id);
  CHECK(back.event_type == "order.created");
  CHECK(back.schema_version == 1);
  CHECK(back.order_id == "order-1");
  CHECK(back.causation_id == std::optional<std::string>(cause));
  CHECK(back.occurred_at.size() == 24);
  CHECK(back.occurred_at.back() == 'Z');
  CHECK(back.payload.get<OrderCreated>() == payload);
}

TEST_CASE("Envelope::Parse names what is wrong", "[contracts]") {
  CHECK_THROWS_WITH(Envelope::Parse("{not json"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(Envelope::Parse("[]"), Catch::Contains("not a JSON object"));
  auto j = nlohmann::json(Envelope::New("order.created", "o", nlohmann::json::object()));
  j.erase("eventId");
  CHECK_THROWS_WITH(Envelope::Parse(j.dump()), Catch::Contains("eventId"));
  j = nlohmann::json(Envelope::New("order.created", "o", nlohmann::json::object()));
  j["payload"] = "x";
  CHECK_THROWS_WITH(Envelope::Parse(j.dump()), Catch::Contains("payload"));
  j["payload"] = nlohmann::json::object();
  j["schemaVersion"] = 0;
  CHECK_THROWS_WITH(Envelope::Parse(j.dump()), Catch::Contains("schemaVersion"));
}

TEST_CASE("Envelope::Parse refuses what no database column or consumer can take", "[contracts]") {
  const auto good = nlohmann::json(Envelope::New("stock.rejected", "o-1", {{"reason", "OUT_OF_STOCK"}}, NewUuid()));
  CHECK_NOTHROW(Envelope::Parse(good.dump()));
  const auto with = [&](const std::string& key, const nlohmann::json& value) {
    auto j = good;
    j[key] = value;
    return j.dump();
  };
  // The two stock.rejected messages that once stalled completion (MariaDB errors 1292 and 1406).
  CHECK_THROWS_WITH(Envelope::Parse(with("occurredAt", "2024-13-45T25:61:61.000Z")), Catch::Contains("occurredAt"));
  CHECK_THROWS_WITH(Envelope::Parse(with("orderId", std::string(100, 'a'))), Catch::Contains("orderId"));
  CHECK_NOTHROW(Envelope::Parse(with("orderId", std::string(64, 'a'))));
  for (const auto* when : {"2023-02-29T00:00:00.000Z", "2024-04-31T00:00:00.000Z", "2024-01-01T24:00:00.000Z",
                           "2024-01-01T00:60:00.000Z", "2024-01-01 00:00:00.000Z", "2024-01-01T00:00:00Z"}) {
    INFO(when);
    CHECK_THROWS_WITH(Envelope::Parse(with("occurredAt", when)), Catch::Contains("occurredAt"));
  }
  CHECK_NOTHROW(Envelope::Parse(with("occurredAt", "2024-02-29T23:59:59.999Z")));
  CHECK_THROWS_WITH(Envelope::Parse(with("eventId", "not-a-uuid")), Catch::Contains("eventId"));
  CHECK_THROWS_WITH(Envelope::Parse(with("eventId", "0F0E0D0C-0B0A-4908-8706-050403020100")), Catch::Contains("eventId"));
  CHECK_THROWS_WITH(Envelope::Parse(with("causationId", "c-1")), Catch::Contains("causationId"));
  CHECK_THROWS_WITH(Envelope::Parse(with("extra", 1)), Catch::Contains("'extra' is not declared"));
  auto text = good.dump();
  text.insert(1, R"("orderId":"o-2",)");
  CHECK_THROWS_WITH(Envelope::Parse(text), Catch::Contains("'orderId' appears twice"));
}

TEST_CASE("ParseStrict refuses repeated keys and reads whole numbers as integers", "[contracts]") {
  JsonProblem problem;
  auto j = ParseStrict(R"({"a":1.0,"b":[2.0,2.5,-3e2],"c":{"d":1e300}})", problem);
  REQUIRE(j.is_object());
  CHECK(j["a"].is_number_integer());
  CHECK(j["a"] == 1);
  CHECK(j["b"][0].is_number_integer());
  CHECK(j["b"][1].is_number_float());
  CHECK(j["b"][2] == -300);
  CHECK(j["b"][2].is_number_integer());
  CHECK(j["c"]["d"].is_number_float());  // beyond 2^53: not made an integer
  CHECK(ParseStrict(R"({"a":1,"a":2})", problem).is_null());
  CHECK(problem.kind == JsonProblem::Kind::kDuplicateKey);
  CHECK(problem.message == "key 'a' appears twice in one object");
  CHECK(ParseStrict(R"({"a":{"b":1,"b":1}})", problem).is_null());
  CHECK_FALSE(ParseStrict(R"({"a":{"b":1},"b":{"b":1}})", problem).is_null());  // one per object
  CHECK(ParseStrict("{", problem).is_null());
  CHECK(problem.kind == JsonProblem::Kind::kInvalid);
}

TEST_CASE("Money sums and products stop at the money limit instead of wrapping", "[contracts]") {
  CHECK(AddAmounts(1, 2) == std::optional<std::int64_t>(3));
  CHECK(AddAmounts(kMaxAmount, 0) == std::optional<std::int64_t>(kMaxAmount));
  CHECK_FALSE(AddAmounts(kMaxAmount, 1));
  CHECK_FALSE(AddAmounts(std::numeric_limits<std::int64_t>::max(), 1));
  CHECK(MulAmount(500'000'000'000'000, 2) == std::optional<std::int64_t>(kMaxAmount));
  // The issue's order: two prices of 5*10^14 and 10000 units each once summed to a negative total.
  CHECK_FALSE(MulAmount(500'000'000'000'000, 10000));
  CHECK_FALSE(MulAmount(std::numeric_limits<std::int64_t>::max(), 2));
  CHECK_FALSE(MulAmount(-1, 1));
}

TEST_CASE("OrderCreated omits an absent couponId and rejects bad items", "[contracts]") {
  const OrderCreated e{UserId(1), {{ProductId(2), 3}}, std::nullopt};
  const nlohmann::json j = e;
  CHECK_FALSE(j.contains("couponId"));
  CHECK(j.dump() == R"({"items":[{"productId":2,"quantity":3}],"userId":1})");
  CHECK_THROWS_AS(nlohmann::json::parse(R"({"userId":1,"items":[]})").get<OrderCreated>(), ContractError);
  CHECK_THROWS_AS(nlohmann::json::parse(R"({"userId":"1","items":[{"productId":1,"quantity":1}]})")
                      .get<OrderCreated>(),
                  ContractError);
}

TEST_CASE("traceparent is continued from a valid parent and started anew otherwise", "[contracts]") {
  const std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  REQUIRE(IsValidTraceparent(parent));
  const auto child = ContinueTrace(parent);
  CHECK(IsValidTraceparent(child));
  CHECK(TraceId(child) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(child.substr(36, 16) != "b7ad6b7169203331");

  for (const std::string bad : {"", "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                                "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"}) {
    CHECK_FALSE(IsValidTraceparent(bad));
    const auto fresh = ContinueTrace(bad);
    CHECK(IsValidTraceparent(fresh));
    CHECK(TraceId(fresh) != "0af7651916cd43dd8448eb211c80319c");
  }
}
