#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/ids.hpp"
#include "saga/contracts/order_events.hpp"
#include "saga/contracts/saga.hpp"

namespace saga::contracts {

/// Cancellation reasons (the `reason` of stock.rejected, payment.failed and order.cancelled).
namespace reasons {
inline constexpr const char* kOutOfStock = "OUT_OF_STOCK";
inline constexpr const char* kUnknownProduct = "UNKNOWN_PRODUCT";
inline constexpr const char* kAmountOutOfRange = "AMOUNT_OUT_OF_RANGE";
inline constexpr const char* kInsufficientBalance = "INSUFFICIENT_BALANCE";
inline constexpr const char* kUnknownUser = "UNKNOWN_USER";
inline constexpr const char* kCouponNotIssued = "COUPON_NOT_ISSUED";
inline constexpr const char* kCouponAlreadyUsed = "COUPON_ALREADY_USED";
inline constexpr const char* kCouponExpired = "COUPON_EXPIRED";
inline constexpr const char* kTimedOut = "TIMED_OUT";
}  // namespace reasons

struct PricedItem {
  ProductId product_id;
  int quantity = 0;
  std::int64_t unit_price = 0;
  bool operator==(const PricedItem&) const = default;
};

/// stock.reserved: every item is reserved; amounts in won. couponId is the order's, passed on.
struct StockReserved {
  static constexpr const char* kType = "stock.reserved";
  UserId user_id;
  std::vector<PricedItem> items;
  std::int64_t total_amount = 0;
  std::optional<std::string> coupon_id;
  bool operator==(const StockReserved&) const = default;
};

/// stock.rejected: nothing was reserved.
struct StockRejected {
  static constexpr const char* kType = "stock.rejected";
  std::string reason;
  std::optional<ProductId> product_id;
  bool operator==(const StockRejected&) const = default;
};

/// payment.completed: `amount` was debited, which is the order's total minus `discount` (the
/// coupon's, 0 without one).
struct PaymentCompleted {
  static constexpr const char* kType = "payment.completed";
  UserId user_id;
  std::int64_t amount = 0;
  std::int64_t discount = 0;
  std::string payment_id;
  std::optional<std::string> coupon_id;
  bool operator==(const PaymentCompleted&) const = default;
};

/// payment.failed: nothing was debited and no coupon used; `amount` is the order's total.
struct PaymentFailed {
  static constexpr const char* kType = "payment.failed";
  UserId user_id;
  std::int64_t amount = 0;
  std::string reason;
  std::optional<std::string> coupon_id;
  bool operator==(const PaymentFailed&) const = default;
};

/// stock.released: exactly what the order had reserved, given back.
struct StockReleased {
  static constexpr const char* kType = "stock.released";
  std::vector<OrderItem> items;
  bool operator==(const StockReleased&) const = default;
};

/// order.completed: the saga ended COMPLETED; what was debited and the coupon's discount.
struct OrderCompleted {
  static constexpr const char* kType = "order.completed";
  std::int64_t amount = 0;
  std::int64_t discount = 0;
  std::optional<std::string> coupon_id;
  bool operator==(const OrderCompleted&) const = default;
};

/// order.cancelled: the saga ended CANCELLED, for `reason`.
struct OrderCancelled {
  static constexpr const char* kType = "order.cancelled";
  std::string reason;
  bool operator==(const OrderCancelled&) const = default;
};

/// saga.expired: the order service's order is still PENDING past its deadline; the order as placed
/// and how many times it has expired (docs/adr/0017).
struct SagaExpired {
  static constexpr const char* kType = "saga.expired";
  UserId user_id;
  std::vector<OrderItem> items;
  std::optional<std::string> coupon_id;
  std::int64_t attempt = 1;
  bool operator==(const SagaExpired&) const = default;
};

/// saga.aborted: completion aborts the open saga for `reason`; the order as placed, so that each
/// participant locks what the order touches even if it never saw it.
struct SagaAborted {
  static constexpr const char* kType = "saga.aborted";
  std::string reason;
  UserId user_id;
  std::vector<OrderItem> items;
  std::optional<std::string> coupon_id;
  bool operator==(const SagaAborted&) const = default;
};

/// stock.aborted: product-stock aborted the order; `items` is what it gave back (none if it held
/// nothing), and a late order.created reserves nothing.
struct StockAborted {
  static constexpr const char* kType = "stock.aborted";
  std::vector<OrderItem> items;
  bool operator==(const StockAborted&) const = default;
};

/// payment.refunded: payment aborted the order; `amount` is the debit given back (0 if nothing was
/// debited; then no paymentId), the coupon is unused again, and a late stock.reserved debits nothing.
struct PaymentRefunded {
  static constexpr const char* kType = "payment.refunded";
  UserId user_id;
  std::int64_t amount = 0;
  std::optional<std::string> payment_id;
  std::optional<std::string> coupon_id;
  bool operator==(const PaymentRefunded&) const = default;
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
void to_json(nlohmann::json& j, const OrderCompleted& v);
void from_json(const nlohmann::json& j, OrderCompleted& v);
void to_json(nlohmann::json& j, const OrderCancelled& v);
void from_json(const nlohmann::json& j, OrderCancelled& v);
void to_json(nlohmann::json& j, const SagaExpired& v);
void from_json(const nlohmann::json& j, SagaExpired& v);
void to_json(nlohmann::json& j, const SagaAborted& v);
void from_json(const nlohmann::json& j, SagaAborted& v);
void to_json(nlohmann::json& j, const StockAborted& v);
void from_json(const nlohmann::json& j, StockAborted& v);
void to_json(nlohmann::json& j, const PaymentRefunded& v);
void from_json(const nlohmann::json& j, PaymentRefunded& v);

/// The declaration a payload type belongs to: the saga's, unless the type names another one with
/// a static Declaration() (as tests do for an event the saga does not have).
template <typename T>
const Declaration& DeclarationOf() {
  if constexpr (requires { T::Declaration(); }) {
    return T::Declaration();
  } else {
    return Saga();
  }
}

/// The payload of `env` as T (an event payload type, which names its event type in kType): the
/// envelope must carry that type, and its payload is checked against the type's declared contract
/// before it is read. Any mismatch throws ContractError naming the event type and the field.
template <typename T>
T Decode(const Envelope& env) {
  if (env.event_type != T::kType) {
    throw ContractError("event type '" + env.event_type + "' is not " + T::kType);
  }
  CheckPayload(DeclarationOf<T>().Get(T::kType), env.payload);
  try {
    return env.payload.get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw ContractError(std::string(T::kType) + " payload: " + e.what());
  }
}

}  // namespace saga::contracts
