#include "saga/contracts/order_events.hpp"

#include "saga/contracts/envelope.hpp"

namespace saga::contracts {

void to_json(nlohmann::json& j, const OrderItem& i) {
  j = nlohmann::json{{"productId", i.product_id.value}, {"quantity", i.quantity}};
}

void from_json(const nlohmann::json& j, OrderItem& i) {
  if (!j.is_object() || !j.contains("productId") || !j.contains("quantity") ||
      !j["productId"].is_number_integer() || !j["quantity"].is_number_integer()) {
    throw ContractError("item needs integer productId and quantity");
  }
  i.product_id = ProductId(j["productId"].get<std::int64_t>());
  i.quantity = j["quantity"].get<int>();
}

void to_json(nlohmann::json& j, const OrderCreated& e) {
  j = nlohmann::json{{"userId", e.user_id.value}, {"items", e.items}};
  if (e.coupon_id) j["couponId"] = *e.coupon_id;
}

void from_json(const nlohmann::json& j, OrderCreated& e) {
  if (!j.is_object() || !j.contains("userId") || !j["userId"].is_number_integer()) {
    throw ContractError("order.created needs an integer userId");
  }
  if (!j.contains("items") || !j["items"].is_array() || j["items"].empty()) {
    throw ContractError("order.created needs a non-empty items array");
  }
  e.user_id = UserId(j["userId"].get<std::int64_t>());
  e.items = j["items"].get<std::vector<OrderItem>>();
  if (j.contains("couponId") && j["couponId"].is_string()) {
    e.coupon_id = j["couponId"].get<std::string>();
  } else {
    e.coupon_id.reset();
  }
}

}  // namespace saga::contracts
