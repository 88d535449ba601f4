#include "saga/payment/coupon_rules.hpp"

#include <catch2/catch.hpp>
#include <limits>
#include <nlohmann/json.hpp>

#include "saga/contracts/saga.hpp"

using namespace saga::payment;
using nlohmann::json;

namespace {

json Percent(int pct) { return {{"name", "p"}, {"discountType", "PERCENT"}, {"discountValue", pct}, {"quantity", 10}}; }

std::string FieldRefused(const std::string& id, const json& body) {
  try {
    ParseCampaign(id, body);
  } catch (const CouponInvalid& e) {
    return e.Field();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("A campaign body is parsed with its optional ends and cap", "[coupon]") {
  const auto c = ParseCampaign("spring-10", {{"name", "Spring"},
                                             {"discountType", "PERCENT"},
                                             {"discountValue", 10},
                                             {"maxDiscount", 5000},
                                             {"quantity", 100000},
                                             {"validFrom", "2026-03-01T00:00:00.000Z"},
                                             {"validUntil", nullptr}});
  CHECK(c == Campaign{"spring-10", "Spring", DiscountType::kPercent, 10, 5000, 100000,
                      std::string("2026-03-01T00:00:00.000Z"), std::nullopt});
  const auto a = ParseCampaign("A_1.x", {{"name", "fixed"}, {"discountType", "AMOUNT"}, {"discountValue", 3000},
                                         {"quantity", 1}});
  CHECK((a.discount_type == DiscountType::kAmount && a.discount_value == 3000 && !a.max_discount));
}

TEST_CASE("A campaign body that breaks the contract names the field", "[coupon]") {
  const json ok = Percent(10);
  CHECK(FieldRefused("ok", ok) == "accepted");
  CHECK(FieldRefused("", ok) == "couponId");
  CHECK(FieldRefused("has space", ok) == "couponId");
  CHECK(FieldRefused(std::string(65, 'c'), ok) == "couponId");
  CHECK(FieldRefused("ok", json::array()) == "body");
  auto with = [&](const char* key, json value) {
    auto b = ok;
    b[key] = std::move(value);
    return FieldRefused("ok", b);
  };
  CHECK(with("name", "") == "name");
  CHECK(with("name", std::string(201, 'n')) == "name");
  CHECK(with("discountType", "FREE") == "discountType");
  CHECK(with("discountValue", 0) == "discountValue");
  CHECK(with("discountValue", 101) == "discountValue");
  CHECK(with("discountValue", 12.5) == "discountValue");
  CHECK(with("quantity", 0) == "quantity");
  CHECK(with("quantity", kMaxCouponQuantity + 1) == "quantity");
  CHECK(with("quantity", std::numeric_limits<std::uint64_t>::max()) == "quantity");
  CHECK(with("maxDiscount", 0) == "maxDiscount");
  CHECK(with("validFrom", "2026-02-30T00:00:00.000Z") == "validFrom");
  CHECK(with("validUntil", "tomorrow") == "validUntil");
  CHECK(with("discount", 5) == "discount");
  auto window = ok;
  window["validFrom"] = "2026-03-01T00:00:00.000Z";
  window["validUntil"] = "2026-03-01T00:00:00.000Z";
  CHECK(FieldRefused("ok", window) == "validUntil");
  auto amount = ok;
  amount["discountType"] = "AMOUNT";
  amount["discountValue"] = saga::contracts::kMaxAmount;
  CHECK(FieldRefused("ok", amount) == "accepted");
  amount["maxDiscount"] = 10;
  CHECK(FieldRefused("ok", amount) == "maxDiscount");
  amount.erase("maxDiscount");
  amount["discountValue"] = saga::contracts::kMaxAmount + 1;
  CHECK(FieldRefused("ok", amount) == "discountValue");
}

TEST_CASE("A discount never exceeds its cap or the total", "[coupon]") {
  const auto pct = ParseCampaign("p", Percent(15));
  CHECK(Discount(pct, 10000) == 1500);
  CHECK(Discount(pct, 199) == 29);  // rounded down
  CHECK(Discount(pct, 0) == 0);
  CHECK(Discount(pct, saga::contracts::kMaxAmount) == saga::contracts::kMaxAmount / 100 * 15);
  auto capped = pct;
  capped.max_discount = 1000;
  CHECK(Discount(capped, 10000) == 1000);
  CHECK(Discount(capped, 5000) == 750);
  const auto all = ParseCampaign("all", Percent(100));
  CHECK(Discount(all, 12345) == 12345);
  Campaign fixed{"f", "f", DiscountType::kAmount, 3000, std::nullopt, 1, std::nullopt, std::nullopt};
  CHECK(Discount(fixed, 10000) == 3000);
  CHECK(Discount(fixed, 2000) == 2000);  // never below 0
}
