#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "saga/contracts/ids.hpp"

namespace saga::contracts {

struct OrderItem {
  ProductId product_id;
  int quantity = 0;
  bool operator==(const OrderItem&) const = default;
};

/// Payload of order.created (proto-json/events/order.created.schema.json).
struct OrderCreated {
  static constexpr const char* kType = "order.created";
  UserId user_id;
  std::vector<OrderItem> items;
  std::optional<std::string> coupon_id;
  bool operator==(const OrderCreated&) const = default;
};

void to_json(nlohmann::json& j, const OrderItem& i);
void from_json(const nlohmann::json& j, OrderItem& i);
void to_json(nlohmann::json& j, const OrderCreated& e);
void from_json(const nlohmann::json& j, OrderCreated& e);

}  // namespace saga::contracts
