#include "saga/order/validation.hpp"

#include <limits>

namespace saga::order {
namespace {

std::int64_t PositiveInt(const nlohmann::json& obj, const char* key, const std::string& path,
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) throw ValidationError(path, path + " is required");
  if (!it->is_number_integer()) throw ValidationError(path, path + " must be an integer");
  if (it->is_number_unsigned() && it->get<std::uint64_t>() >
                                      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw ValidationError(path, path + " is too large");
  }
  const auto v = it->get<std::int64_t>();
  if (v <= 0) throw ValidationError(path, path + " must be greater than 0");
  if (v > max) throw ValidationError(path, path + " must be at most " + std::to_string(max));
  return v;
}

}  // namespace

PlaceOrderCommand ParsePlaceOrder(const nlohmann::json& body) {
  if (!body.is_object()) throw ValidationError("body", "request body must be a JSON object");
  PlaceOrderCommand cmd;
  cmd.user_id = contracts::UserId(PositiveInt(body, "userId", "userId"));

  const auto items = body.find("items");
  if (items == body.end() || items->is_null()) throw ValidationError("items", "items is required");
  if (!items->is_array()) throw ValidationError("items", "items must be an array");
  if (items->empty() || items->size() > static_cast<std::size_t>(kMaxItems)) {
    throw ValidationError("items", "items must hold 1 to " + std::to_string(kMaxItems) + " entries");
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& item = (*items)[i];
    const std::string path = "items[" + std::to_string(i) + "]";
    if (!item.is_object()) throw ValidationError(path, path + " must be an object");
    const auto product = contracts::ProductId(PositiveInt(item, "productId", path + ".productId"));
    const auto quantity =
        static_cast<int>(PositiveInt(item, "quantity", path + ".quantity", kMaxQuantity));
    auto same = std::find_if(cmd.items.begin(), cmd.items.end(),
                             [&](const auto& it) { return it.product_id == product; });
    if (same == cmd.items.end()) {
      cmd.items.push_back({product, quantity});
    } else if (same->quantity + quantity > kMaxQuantity) {
      throw ValidationError(path + ".quantity", "combined quantity for productId " +
                                                    std::to_string(product.value) +
                                                    " must be at most " + std::to_string(kMaxQuantity));
    } else {
      same->quantity += quantity;
    }
  }

  const auto coupon = body.find("couponId");
  if (coupon != body.end() && !coupon->is_null()) {
    if (coupon->is_string()) {
      const auto& s = coupon->get_ref<const std::string&>();
      if (s.empty() || s.size() > 64) {
        throw ValidationError("couponId", "couponId must be 1 to 64 characters");
      }
      cmd.coupon_id = s;
    } else if (coupon->is_number_integer() && coupon->get<std::int64_t>() > 0) {
      cmd.coupon_id = std::to_string(coupon->get<std::int64_t>());
    } else {
      throw ValidationError("couponId", "couponId must be a string, a positive integer or null");
    }
  }
  return cmd;
}

std::string PlaceOrderCommand::Canonical() const {
  nlohmann::json j = contracts::OrderCreated{user_id, items, coupon_id};
  return j.dump();
}

}  // namespace saga::order
