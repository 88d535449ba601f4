#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace saga::payment {

/// How a coupon lowers a debit: a fixed amount, or a percentage with an optional cap.
enum class DiscountType { kAmount, kPercent };

std::string_view ToString(DiscountType type);

/// A coupon campaign: `quantity` coupons, at most one per user, issued first come, first served
/// while the campaign is valid (validFrom <= now < validUntil, either end open when absent).
struct Campaign {
  std::string coupon_id;
  std::string name;
  DiscountType discount_type = DiscountType::kAmount;
  std::int64_t discount_value = 0;             ///< money (AMOUNT) or 1..100 (PERCENT)
  std::optional<std::int64_t> max_discount;    ///< PERCENT only: the most it takes off
  std::int64_t quantity = 0;
  std::optional<std::string> valid_from;       ///< ISO-8601 UTC with milliseconds
  std::optional<std::string> valid_until;
  bool operator==(const Campaign&) const = default;
};

inline constexpr std::size_t kMaxCouponIdLength = 64;
inline constexpr std::size_t kMaxCampaignNameLength = 200;
inline constexpr std::int64_t kMaxCouponQuantity = 1'000'000'000;

/// A request that breaks the coupon contract; `field` names what is wrong (400 VALIDATION_FAILED).
class CouponInvalid : public std::runtime_error {
 public:
  CouponInvalid(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& Field() const { return field_; }

 private:
  std::string field_;
};

/// A coupon id is 1..64 of A-Z a-z 0-9 . _ - (it appears in paths).
bool IsCouponId(std::string_view id);

/// `PUT /coupons/{couponId}`'s body, checked: name (1..200 characters), discountType (AMOUNT or
/// PERCENT), discountValue (AMOUNT: 1..kMaxAmount, PERCENT: 1..100), maxDiscount (PERCENT only,
/// 1..kMaxAmount, optional), quantity (1..kMaxCouponQuantity), validFrom and validUntil (optional,
/// ISO-8601 UTC with milliseconds, from before until). Any other key is refused.
Campaign ParseCampaign(std::string coupon_id, const nlohmann::json& body);

/// What the coupon takes off a debit of `total` (0..kMaxAmount): never more than the total.
std::int64_t Discount(const Campaign& campaign, std::int64_t total);

}  // namespace saga::payment
