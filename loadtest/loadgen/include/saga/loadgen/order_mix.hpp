#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace saga::loadgen {

/// What an order is built to do: complete, fail on purpose so compensation runs too, or use the
/// campaign's coupon (it completes with the discount, or is cancelled for the coupon).
enum class Kind : std::uint8_t { kNormal = 0, kOutOfStock = 1, kUnknownUser = 2, kCoupon = 3 };
const char* KindName(Kind kind);

struct MixOptions {
  std::vector<std::int64_t> users;     // seeded users with a balance
  std::vector<std::int64_t> products;  // seeded products with stock
  int max_items = 1;                   // distinct products per order: 1..max_items
  int max_quantity = 1;                // units per item: 1..max_quantity
  double fail_share = 0;               // share of orders built to fail, half of each kind
  std::int64_t out_of_stock_product = 0;  // a product whose stock is 0
  std::int64_t unknown_user = 0;          // a user without an account
  double coupon_share = 0;                // share of orders with `coupon_id`, drawn as twins
  std::string coupon_id;                  // the campaign coupon orders name
};

struct Order {
  Kind kind = Kind::kNormal;
  std::int64_t user = 0;
  std::vector<std::pair<std::int64_t, int>> items;  // (productId, quantity)
  std::string coupon_id;                            // kCoupon only
};

/// Draws orders from the seeded users and products, reproducibly for a given seed.
class OrderMix {
 public:
  /// Throws std::invalid_argument when the options cannot produce the mix asked for.
  OrderMix(MixOptions options, std::uint64_t seed);
  /// The next order. A coupon order is followed by its twin (same user, items and coupon), so
  /// the two are sent one right after the other and race for the one coupon.
  Order Next();
  /// The POST /orders body.
  static std::string Body(const Order& order);

 private:
  MixOptions options_;
  std::mt19937_64 rng_;
  std::uint64_t failures_ = 0;
  std::optional<Order> twin_;
};

}  // namespace saga::loadgen
