#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "saga/contracts/order_events.hpp"
#include "saga/db/pool.hpp"
#include "saga/order/validation.hpp"

namespace saga::order {

/// The Idempotency-Key was used before with a different request body.
class IdempotencyConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PlaceOrderResult {
  std::string order_id;
  bool replayed = false;  // the key was seen with this body: no new order was made
};

struct OrderView {
  std::string order_id;
  contracts::UserId user_id;
  std::string status;
  std::optional<std::string> reason;
  std::optional<std::string> coupon_id;
  std::vector<contracts::OrderItem> items;
  std::string created_at;
  std::string updated_at;
};

/// Writes the order, its items, the idempotency key (if any) and the order.created outbox row
/// inside `tx`. The caller commits.
PlaceOrderResult PlaceOrder(db::Transaction& tx, const PlaceOrderCommand& cmd,
                            const std::optional<std::string>& idempotency_key,
                            const std::string& traceparent);

std::optional<OrderView> FindOrder(db::Transaction& tx, const std::string& order_id);

/// Sets the final status from order.completed / order.cancelled (only a PENDING order changes).
/// Returns false if there is no such pending order.
bool FinishOrder(db::Transaction& tx, const std::string& order_id, const std::string& status,
                 const std::optional<std::string>& reason);

/// PlaceOrder and FindOrder, each in its own transaction on the pool.
class OrderService {
 public:
  explicit OrderService(db::Pool& pool) : pool_(pool) {}
  PlaceOrderResult Place(const PlaceOrderCommand& cmd,
                         const std::optional<std::string>& idempotency_key,
                         const std::string& traceparent);
  std::optional<OrderView> Get(const std::string& order_id);

 private:
  db::Pool& pool_;
};

}  // namespace saga::order
