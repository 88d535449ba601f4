#include "saga/contracts/saga_events.hpp"

#include "saga/contracts/envelope.hpp"

namespace saga::contracts {
namespace {

const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) throw ContractError("payload is not an object");
  const auto it = j.find(key);
  if (it == j.end()) throw ContractError(std::string("payload field '") + key + "' is missing");
  return *it;
}

std::int64_t Int(const nlohmann::json& j, const char* key, std::int64_t min) {
  const auto& v = Member(j, key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < min) {
    throw ContractError(std::string("payload field '") + key + "' must be an integer >= " +
                        std::to_string(min));
  }
  return v.get<std::int64_t>();
}

std::string Str(const nlohmann::json& j, const char* key) {
  const auto& v = Member(j, key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    throw ContractError(std::string("payload field '") + key + "' must be a non-empty string");
  }
  return v.get<std::string>();
}

std::optional<std::string> OptStr(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return Str(j, key);
}

void PutOpt(nlohmann::json& j, const char* key, const std::optional<std::string>& v) {
  if (v) j[key] = *v;
}

}  // namespace

void to_json(nlohmann::json& j, const PricedItem& v) {
  j = {{"productId", v.product_id.value}, {"quantity", v.quantity}, {"unitPrice", v.unit_price}};
}
void from_json(const nlohmann::json& j, PricedItem& v) {
  v.product_id = ProductId(Int(j, "productId", 1));
  v.quantity = static_cast<int>(Int(j, "quantity", 1));
  v.unit_price = Int(j, "unitPrice", 0);
}

void to_json(nlohmann::json& j, const StockReserved& v) {
  j = {{"userId", v.user_id.value}, {"items", v.items}, {"totalAmount", v.total_amount}};
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, StockReserved& v) {
  v.user_id = UserId(Int(j, "userId", 1));
  const auto& items = Member(j, "items");
  if (!items.is_array() || items.empty()) throw ContractError("payload field 'items' must be a non-empty array");
  v.items = items.get<std::vector<PricedItem>>();
  v.total_amount = Int(j, "totalAmount", 0);
  std::int64_t sum = 0;
  for (const auto& i : v.items) sum += i.unit_price * i.quantity;
  if (sum != v.total_amount) throw ContractError("totalAmount does not equal the sum of the items");
  v.coupon_id = OptStr(j, "couponId");
}

void to_json(nlohmann::json& j, const StockRejected& v) {
  j = {{"reason", v.reason}};
  if (v.product_id) j["productId"] = v.product_id->value;
}
void from_json(const nlohmann::json& j, StockRejected& v) {
  v.reason = Str(j, "reason");
  if (v.reason != reasons::kOutOfStock && v.reason != reasons::kUnknownProduct &&
      v.reason != reasons::kAmountOutOfRange) {
    throw ContractError("stock.rejected reason '" + v.reason + "' is unknown");
  }
  v.product_id.reset();
  if (j.contains("productId")) v.product_id = ProductId(Int(j, "productId", 1));
}

void to_json(nlohmann::json& j, const PaymentCompleted& v) {
  j = {{"userId", v.user_id.value},
       {"amount", v.amount},
       {"discount", v.discount},
       {"paymentId", v.payment_id}};
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, PaymentCompleted& v) {
  v.user_id = UserId(Int(j, "userId", 1));
  v.amount = Int(j, "amount", 0);
  v.discount = Int(j, "discount", 0);
  v.payment_id = Str(j, "paymentId");
  v.coupon_id = OptStr(j, "couponId");
}

void to_json(nlohmann::json& j, const PaymentFailed& v) {
  j = {{"userId", v.user_id.value}, {"amount", v.amount}, {"reason", v.reason}};
  PutOpt(j, "couponId", v.coupon_id);
}
// The reason's values are the declaration's (Decode checks them before this runs).
void from_json(const nlohmann::json& j, PaymentFailed& v) {
  v.user_id = UserId(Int(j, "userId", 1));
  v.amount = Int(j, "amount", 0);
  v.reason = Str(j, "reason");
  v.coupon_id = OptStr(j, "couponId");
}

void to_json(nlohmann::json& j, const StockReleased& v) { j = {{"items", v.items}}; }
void from_json(const nlohmann::json& j, StockReleased& v) {
  const auto& items = Member(j, "items");
  if (!items.is_array() || items.empty()) throw ContractError("payload field 'items' must be a non-empty array");
  v.items = items.get<std::vector<OrderItem>>();
}

void to_json(nlohmann::json& j, const OrderCompleted& v) {
  j = {{"amount", v.amount}, {"discount", v.discount}};
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, OrderCompleted& v) {
  v.amount = Int(j, "amount", 0);
  v.discount = Int(j, "discount", 0);
  v.coupon_id = OptStr(j, "couponId");
}

void to_json(nlohmann::json& j, const OrderCancelled& v) { j = {{"reason", v.reason}}; }
void from_json(const nlohmann::json& j, OrderCancelled& v) { v.reason = Str(j, "reason"); }

// The payloads below are read only after Decode checked them against the declaration.
void to_json(nlohmann::json& j, const SagaExpired& v) {
  j = {{"userId", v.user_id.value}, {"items", v.items}, {"attempt", v.attempt}};
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, SagaExpired& v) {
  v.user_id = UserId(Int(j, "userId", 1));
  v.items = Member(j, "items").get<std::vector<OrderItem>>();
  v.coupon_id = OptStr(j, "couponId");
  v.attempt = Int(j, "attempt", 1);
}

void to_json(nlohmann::json& j, const SagaAborted& v) {
  j = {{"reason", v.reason}, {"userId", v.user_id.value}, {"items", v.items}};
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, SagaAborted& v) {
  v.reason = Str(j, "reason");
  v.user_id = UserId(Int(j, "userId", 1));
  v.items = Member(j, "items").get<std::vector<OrderItem>>();
  v.coupon_id = OptStr(j, "couponId");
}

void to_json(nlohmann::json& j, const StockAborted& v) { j = {{"items", v.items}}; }
void from_json(const nlohmann::json& j, StockAborted& v) {
  v.items = Member(j, "items").get<std::vector<OrderItem>>();
}

void to_json(nlohmann::json& j, const PaymentRefunded& v) {
  j = {{"userId", v.user_id.value}, {"amount", v.amount}};
  PutOpt(j, "paymentId", v.payment_id);
  PutOpt(j, "couponId", v.coupon_id);
}
void from_json(const nlohmann::json& j, PaymentRefunded& v) {
  v.user_id = UserId(Int(j, "userId", 1));
  v.amount = Int(j, "amount", 0);
  v.payment_id = OptStr(j, "paymentId");
  v.coupon_id = OptStr(j, "couponId");
}

}  // namespace saga::contracts
