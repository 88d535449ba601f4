#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "saga/contracts/order_events.hpp"

namespace saga::order {

inline constexpr int kMaxItems = 50;
inline constexpr int kMaxQuantity = 10000;

/// A request field is invalid; `Field()` is its JSON path, e.g. `items[2].quantity`.
class ValidationError : public std::invalid_argument {
 public:
  ValidationError(std::string field, const std::string& message)
      : std::invalid_argument(message), field_(std::move(field)) {}
  const std::string& Field() const { return field_; }

 private:
  std::string field_;
};

/// A validated POST /orders body. Repeated productIds are merged (quantities added, first
/// occurrence keeps its place); the merged quantity must still be within 1..10000.
struct PlaceOrderCommand {
  contracts::UserId user_id;
  std::vector<contracts::OrderItem> items;
  std::optional<std::string> coupon_id;

  /// A canonical text of the command: equal commands give equal text (idempotency check).
  std::string Canonical() const;
};

/// Checks every field of a POST /orders body; throws ValidationError naming the first bad one.
PlaceOrderCommand ParsePlaceOrder(const nlohmann::json& body);


}  // namespace saga::order
