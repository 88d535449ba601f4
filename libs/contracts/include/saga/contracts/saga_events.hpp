#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "saga/contracts/ids.hpp"
#include "saga/contracts/envelope.hpp"
#include "saga/contracts/order_events.hpp"

namespace saga::contracts {

/// Cancellation reasons (the `reason` of stock.rejected, payment.failed and order.cancelled).
namespace reasons {
inline constexpr const char* kOutOfStock = "OUT_OF_STOCK";
inline constexpr const char* kUnknownProduct = "UNKNOWN_PRODUCT";
inline constexpr const char* kInsufficientBalance = "INSUFFICIENT_BALANCE";
inline constexpr const char* kUnknownUser = "UNKNOWN_USER";
}  // namespace reasons

struct PricedItem {
  ProductId product_id;
  int quantity = 0;
  std::int64_t unit_price = 0;
  bool operator==(const PricedItem&) const = default;
};

/// stock.reserved: every item is reserved; amounts in won.
struct StockReserved {
  UserId user_id;
  std::vector<PricedItem> items;
  std::int64_t total_amount = 0;
  bool operator==(const StockReserved&) const = default;
};

/// stock.rejected: nothing was reserved.
struct StockRejected {
  std::string reason;
  std::optional<ProductId> product_id;
  bool operator==(const StockRejected&) const = default;
};

struct PaymentCompleted {
  UserId user_id;
  std::int64_t amount = 0;
  std::string payment_id;
  bool operator==(const PaymentCompleted&) const = default;
};

struct PaymentFailed {
  UserId user_id;
  std::int64_t amount = 0;
  std::string reason;
  bool operator==(const PaymentFailed&) const = default;
};

/// stock.released: exactly what the order had reserved, given back.
struct StockReleased {
  std::vector<OrderItem> items;
  bool operator==(const StockReleased&) const = default;
};

/// order.completed (no reason) and order.cancelled (with reason).
struct OrderFinished {
  std::optional<std::string> reason;
  bool operator==(const OrderFinished&) const = default;
};

void to_json(nlohmann::json& j, const PricedItem& v);
void from_json(const nlohmann::json& j, PricedItem& v);
void to_json(nlohmann::json& j, const StockReserved& v);
void from_json(const nlohmann::json& j, StockReserved& v);
void to_json(nlohmann::json& j, const StockRejected& v);
void from_json(const nlohmann::json& j, StockRejected& v);
void to_json(nlohmann::json& j, const PaymentCompleted& v);
void from_json(const nlohmann::json& j, PaymentCompleted& v);
void to_json(nlohmann::json& j, const PaymentFailed& v);
void from_json(const nlohmann::json& j, PaymentFailed& v);
void to_json(nlohmann::json& j, const StockReleased& v);
void from_json(const nlohmann::json& j, StockReleased& v);
void to_json(nlohmann::json& j, const OrderFinished& v);
void from_json(const nlohmann::json& j, OrderFinished& v);

/// Parses an envelope payload as T; any mismatch becomes a ContractError naming the event type.
template <typename T>
T PayloadAs(const nlohmann::json& payload, const std::string& event_type) {
  try {
    return payload.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ContractError(event_type + " payload: " + e.what());
  }
}

}  // namespace saga::contracts
