#pragma once

#include <cstdint>
#include <memory>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "saga/contracts/order_events.hpp"
#include "saga/contracts/saga.hpp"
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
  std::optional<std::int64_t> amount;    ///< what was debited, once COMPLETED
  std::optional<std::int64_t> discount;  ///< the coupon's discount, once COMPLETED
};

/// One POST /orders to write.
struct NewOrder {
  PlaceOrderCommand cmd;
  std::optional<std::string> idempotency_key;
  std::string traceparent;
};

/// What became of one NewOrder of a batch: the order (new or replayed), or the conflict it raised.
using PlaceOutcome = std::variant<PlaceOrderResult, IdempotencyConflict>;

/// Writes a batch of orders inside `tx` with a few multi-row statements: the idempotency keys,
/// then the orders, their items and their order.created outbox rows. A key already taken
/// replays its order (same body) or gives IdempotencyConflict for that order alone; the others
/// are written. Keys must be distinct within one batch (std::invalid_argument otherwise).
/// Outcomes are in the order of `orders`. The caller commits.
std::vector<PlaceOutcome> PlaceOrders(db::Transaction& tx, const std::vector<const NewOrder*>& orders,
                                      std::int64_t deadline_ms = contracts::kDefaultDeadlineMs);

/// An order's final status from order.completed / order.cancelled.
struct FinalStatus {
  std::string order_id;
  std::string status;  // COMPLETED or CANCELLED
  std::optional<std::string> reason;
  std::optional<std::int64_t> amount;  // debited, and the coupon's discount (COMPLETED)
  std::optional<std::int64_t> discount;
};

class OrderWriter;

/// Places orders through an OrderWriter (concurrent calls share transactions) and reads them,
/// each read in its own transaction. Copies share one writer.
class OrderService {
 public:
  /// `max_batch` caps the orders written in one transaction (1 writes each order alone);
  /// `max_in_flight` the transactions writing orders at once; `committed` runs after each
  /// transaction of orders committed (the service hints the relay there); `deadline_ms` how long
  /// a new order's saga may stay open (SAGA_DEADLINE_MS).
  explicit OrderService(db::Pool& pool, std::size_t max_batch = 32, int max_in_flight = 2,
                        std::function<void()> committed = {},
                        std::int64_t deadline_ms = contracts::kDefaultDeadlineMs);
  /// Returns at once; `done` gets the order's outcome or its error on a writer thread.
  void Submit(NewOrder order,
              std::function<void(std::optional<PlaceOutcome> outcome, std::exception_ptr error)> done);
  std::optional<OrderView> Get(const std::string& order_id);
  /// Orders waiting for a writer (admission control).
  std::size_t Queued() const;

 private:
  db::Pool* pool_;
  std::shared_ptr<OrderWriter> writer_;
};

}  // namespace saga::order
