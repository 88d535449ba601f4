#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "saga/contracts/saga_events.hpp"
#include "saga/messaging/handler.hpp"

namespace saga::payment {

/// An event payment consumes.
using PaymentEvent = std::variant<messaging::Incoming<contracts::StockReserved>>;

/// What the database holds for a batch: the orders that have a payment already, and the balances
/// of its users' accounts (locked); a user with no account is missing.
struct PaymentState {
  std::set<std::string> paid;
  std::map<std::int64_t, std::int64_t> balances;
};

/// A payment row: COMPLETED, or FAILED with its reason.
struct PaymentRow {
  std::string order_id;
  std::string payment_id;
  std::int64_t user_id = 0;
  std::int64_t amount = 0;
  std::optional<std::string> reason;
  bool operator==(const PaymentRow&) const = default;
};

/// What a batch changes: each changed balance, the new payments and the events to publish.
struct PaymentDecision {
  std::map<std::int64_t, std::int64_t> balances;
  std::vector<PaymentRow> payments;
  std::vector<messaging::Emit> events;
};

/// The batch's orders and its users (ascending: the lock order).
std::vector<std::string> OrdersOf(const std::vector<PaymentEvent>& events);
std::vector<std::int64_t> UsersOf(const std::vector<PaymentEvent>& events);

/// The events applied in order to the state; no I/O but `new_id` for payment ids.
/// stock.reserved: debit totalAmount once per order, never below zero -> payment.completed; or
/// payment.failed with INSUFFICIENT_BALANCE (nothing debited) or UNKNOWN_USER (no account).
PaymentDecision Decide(PaymentState state, const std::vector<PaymentEvent>& events,
                       const std::function<std::string()>& new_id);

}  // namespace saga::payment
