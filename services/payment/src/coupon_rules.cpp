#include "saga/payment/coupon_rules.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "saga/contracts/ids.hpp"
#include "saga/contracts/saga.hpp"

namespace saga::payment {
namespace {

std::int64_t IntegerIn(const nlohmann::json& v, const std::string& field, std::int64_t min, std::int64_t max) {
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) ||
      v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    throw CouponInvalid(field, field + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v.get<std::int64_t>();
}

std::optional<std::string> OptionalInstant(const nlohmann::json& body, const std::string& field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || !contracts::IsIso8601Millis(it->get_ref<const std::string&>())) {
    throw CouponInvalid(field, field + " must be an instant like 2026-01-31T23:59:59.000Z, or null");
  }
  return it->get<std::string>();
}

}  // namespace

std::string_view ToString(DiscountType type) { return type == DiscountType::kAmount ? "AMOUNT" : "PERCENT"; }

bool IsCouponId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxCouponIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
         });
}

Campaign ParseCampaign(std::string coupon_id, const nlohmann::json& body) {
  if (!IsCouponId(coupon_id)) {
    throw CouponInvalid("couponId", "couponId must be 1 to 64 of the characters A-Z a-z 0-9 . _ -");
  }
  if (!body.is_object()) throw CouponInvalid("body", "request body must be a JSON object");
  static constexpr std::array<std::string_view, 7> kKeys{"name",     "discountType", "discountValue", "maxDiscount",
                                                         "quantity", "validFrom",    "validUntil"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      throw CouponInvalid(key, "'" + key + "' is not a field of a coupon campaign");
    }
  }
  Campaign c;
  c.coupon_id = std::move(coupon_id);
  const auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > kMaxCampaignNameLength) {
    throw CouponInvalid("name", "name must be a string of 1 to 200 characters");
  }
  c.name = name->get<std::string>();
  const auto type = body.find("discountType");
  if (type != body.end() && *type == "AMOUNT") {
    c.discount_type = DiscountType::kAmount;
  } else if (type != body.end() && *type == "PERCENT") {
    c.discount_type = DiscountType::kPercent;
  } else {
    throw CouponInvalid("discountType", "discountType must be AMOUNT or PERCENT");
  }
  const auto value = body.find("discountValue");
  if (value == body.end()) throw CouponInvalid("discountValue", "discountValue is required");
  c.discount_value = c.discount_type == DiscountType::kAmount
                         ? IntegerIn(*value, "discountValue", 1, contracts::kMaxAmount)
                         : IntegerIn(*value, "discountValue", 1, 100);
  const auto cap = body.find("maxDiscount");
  if (cap != body.end() && !cap->is_null()) {
    if (c.discount_type != DiscountType::kPercent) {
      throw CouponInvalid("maxDiscount", "maxDiscount applies to PERCENT discounts only");
    }
    c.max_discount = IntegerIn(*cap, "maxDiscount", 1, contracts::kMaxAmount);
  }
  const auto quantity = body.find("quantity");
  if (quantity == body.end()) throw CouponInvalid("quantity", "quantity is required");
  c.quantity = IntegerIn(*quantity, "quantity", 1, kMaxCouponQuantity);
  c.valid_from = OptionalInstant(body, "validFrom");
  c.valid_until = OptionalInstant(body, "validUntil");
  // The fixed-width ISO form orders like the instants it names.
  if (c.valid_from && c.valid_until && *c.valid_from >= *c.valid_until) {
    throw CouponInvalid("validUntil", "validUntil must be after validFrom");
  }
  return c;
}

std::int64_t Discount(const Campaign& campaign, std::int64_t total) {
  if (total <= 0) return 0;
  std::int64_t off = campaign.discount_value;
  if (campaign.discount_type == DiscountType::kPercent) {
    // total <= kMaxAmount (10^15) and the percentage <= 100: the product stays far inside int64.
    off = total / 100 * campaign.discount_value + total % 100 * campaign.discount_value / 100;
    if (campaign.max_discount) off = std::min(off, *campaign.max_discount);
  }
  return std::min(off, total);
}

}  // namespace saga::payment
