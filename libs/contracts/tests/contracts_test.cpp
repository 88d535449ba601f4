#include <catch2/catch.hpp>
#include <set>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/ids.hpp"
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
  auto env = Envelope::New(OrderCreated::kType, "order-1", payload, std::string("cause-1"));
  const auto text = env.Serialize();
  const auto back = Envelope::Parse(text);
  CHECK(back.event_id == env.event_id);
  CHECK(back.event_type == "order.created");
  CHECK(back.schema_version == 1);
  CHECK(back.order_id == "order-1");
  CHECK(back.causation_id == std::optional<std::string>("cause-1"));
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
