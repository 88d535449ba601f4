#include <catch2/catch.hpp>

#include "saga/order/validation.hpp"

using saga::order::ParsePlaceOrder;
using saga::order::ValidationError;
using Json = nlohmann::json;

namespace {

std::string FieldOf(const Json& body) {
  try {
    ParsePlaceOrder(body);
  } catch (const ValidationError& e) {
    return e.Field();
  }
  return "<valid>";
}

Json Order(Json items) { return Json{{"userId", 1}, {"items", std::move(items)}}; }
Json Item(Json product, Json quantity) { return Json{{"productId", product}, {"quantity", quantity}}; }

}  // namespace

TEST_CASE("A well-formed order parses", "[order][validation]") {
  const auto cmd = ParsePlaceOrder(Json::parse(
      R"({"userId":9,"items":[{"productId":1,"quantity":2},{"productId":5,"quantity":10000}],"couponId":null})"));
  CHECK(cmd.user_id.value == 9);
  REQUIRE(cmd.items.size() == 2);
  CHECK(cmd.items[1].product_id.value == 5);
  CHECK(cmd.items[1].quantity == 10000);
  CHECK_FALSE(cmd.coupon_id.has_value());
}

TEST_CASE("Each invalid field is named", "[order][validation]") {
  CHECK(FieldOf(Json::array()) == "body");
  CHECK(FieldOf(Json{{"items", Json::array({Item(1, 1)})}}) == "userId");
  CHECK(FieldOf(Json{{"userId", 0}, {"items", Json::array({Item(1, 1)})}}) == "userId");
  CHECK(FieldOf(Json{{"userId", -4}, {"items", Json::array({Item(1, 1)})}}) == "userId");
  CHECK(FieldOf(Json{{"userId", "1"}, {"items", Json::array({Item(1, 1)})}}) == "userId");
  CHECK(FieldOf(Json{{"userId", 1.5}, {"items", Json::array({Item(1, 1)})}}) == "userId");
  CHECK(FieldOf(Json{{"userId", 1}}) == "items");
  CHECK(FieldOf(Order(Json::object())) == "items");
  CHECK(FieldOf(Order(Json::array())) == "items");
  CHECK(FieldOf(Order(Json::array({Item(1, 1), 5}))) == "items[1]");
  CHECK(FieldOf(Order(Json::array({Item(0, 1)}))) == "items[0].productId");
  CHECK(FieldOf(Order(Json::array({Item(1, 1), Item(2, -3)}))) == "items[1].quantity");
  CHECK(FieldOf(Order(Json::array({Item(1, 0)}))) == "items[0].quantity");
  CHECK(FieldOf(Order(Json::array({Item(1, 10001)}))) == "items[0].quantity");
  CHECK(FieldOf(Order(Json::array({Item(1, "2")}))) == "items[0].quantity");
  CHECK(FieldOf(Order(Json::array({Json{{"productId", 1}}}))) == "items[0].quantity");
  CHECK(FieldOf(Json{{"userId", 1}, {"items", Json::array({Item(1, 1)})}, {"couponId", true}}) == "couponId");
  CHECK(FieldOf(Json{{"userId", 1}, {"items", Json::array({Item(1, 1)})}, {"couponId", ""}}) == "couponId");
  CHECK(FieldOf(Json{{"userId", Json(18446744073709551615ULL)}, {"items", Json::array({Item(1, 1)})}}) ==
        "userId");
}

TEST_CASE("Between 1 and 50 items are accepted", "[order][validation]") {
  Json items = Json::array();
  for (int i = 1; i <= 50; ++i) items.push_back(Item(i, 1));
  CHECK(FieldOf(Order(items)) == "<valid>");
  items.push_back(Item(51, 1));
  CHECK(FieldOf(Order(items)) == "items");
}

TEST_CASE("Repeated productIds are merged within the quantity limit", "[order][validation]") {
  const auto cmd = ParsePlaceOrder(Order(Json::array({Item(3, 2), Item(1, 1), Item(3, 5)})));
  REQUIRE(cmd.items.size() == 2);
  CHECK(cmd.items[0].product_id.value == 3);
  CHECK(cmd.items[0].quantity == 7);
  CHECK(cmd.items[1].product_id.value == 1);
  CHECK(FieldOf(Order(Json::array({Item(3, 6000), Item(3, 5000)}))) == "items[1].quantity");
}

TEST_CASE("couponId may be null a string or a positive integer", "[order][validation]") {
  auto with = [](Json coupon) {
    return ParsePlaceOrder(Json{{"userId", 1}, {"items", Json::array({Item(1, 1)})}, {"couponId", coupon}});
  };
  CHECK_FALSE(with(nullptr).coupon_id.has_value());
  CHECK(with("SPRING").coupon_id == std::optional<std::string>("SPRING"));
  CHECK(with(42).coupon_id == std::optional<std::string>("42"));
}

TEST_CASE("Equal commands have equal canonical text different ones differ", "[order][validation]") {
  const auto a = ParsePlaceOrder(Order(Json::array({Item(1, 1), Item(1, 1)})));
  const auto b = ParsePlaceOrder(Order(Json::array({Item(1, 2)})));
  const auto c = ParsePlaceOrder(Order(Json::array({Item(1, 3)})));
  CHECK(a.Canonical() == b.Canonical());
  CHECK(a.Canonical() != c.Canonical());
}
