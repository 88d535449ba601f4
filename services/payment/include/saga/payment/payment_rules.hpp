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
#include "saga/payment/coupon_rules.hpp"

namespace saga::payment {

/// An event payment consumes.
using PaymentEvent = std::variant<messaging::Incoming<contracts::StockReserved>>;

/// A coupon issued to a user: its campaign's terms, whether the campaign is valid now, and the
/// order that used it.
struct HeldCoupon {
  Campaign terms;
  bool valid_now = false;
  std::optional<std::string> used_by;
};

/// A user's coupon of a campaign: (couponId, userId).
using CouponKey = std::pair<std::string, std::int64_t>;

/// What the database holds for a batch: the orders that have a payment already, the balances of
/// its users' accounts (locked; a user with no account is missing), and the coupons its orders
/// name that are issued to their users (locked; a coupon not issued is missing).
struct PaymentState {
  std::set<std::string> paid;
  std::map<std::int64_t, std::int64_t> balances;
  std::map<CouponKey, HeldCoupon> coupons;
};

/// A payment row: COMPLETED (amount debited) or FAILED with its reason (amount = the order's total).
struct PaymentRow {
  std::string order_id;
  std::string payment_id;
  std::int64_t user_id = 0;
  std::int64_t amount = 0;
  std::optional<std::string> reason;
  std::int64_t discount = 0;
  std::optional<std::string> coupon_id;
  bool operator==(const PaymentRow&) const = default;
};

/// A coupon used by an order.
struct CouponUse {
  std::string coupon_id;
  std::int64_t user_id = 0;
  std::string order_id;
  bool operator==(const CouponUse&) const = default;
};

/// What a batch changes: each changed balance, the new payments, the coupons used and the events
/// to publish.
struct PaymentDecision {
  std::map<std::int64_t, std::int64_t> balances;
  std::vector<PaymentRow> payments;
  std::vector<CouponUse> uses;
  std::vector<messaging::Emit> events;
};

/// The batch's orders, its users (ascending: the lock order) and the coupons its orders name
/// (ascending, distinct; locked after the accounts).
std::vector<std::string> OrdersOf(const std::vector<PaymentEvent>& events);
std::vector<std::int64_t> UsersOf(const std::vector<PaymentEvent>& events);
std::vector<CouponKey> CouponsOf(const std::vector<PaymentEvent>& events);

/// docs/adr/0015-the-coupon-is-applied-with-the-debit.md
/// The events applied in order to the state; no I/O but `new_id` for payment ids.
/// stock.reserved: once per order, in this order of checks:
/// - no account: payment.failed UNKNOWN_USER;
/// - with a couponId: the user's coupon of that campaign must exist (COUPON_NOT_ISSUED), be unused
///   (COUPON_ALREADY_USED) and its campaign valid now (COUPON_EXPIRED); its discount (Discount,
///   never above the total) comes off the debit;
/// - the balance must cover the debit (INSUFFICIENT_BALANCE; the coupon stays unused);
/// then the debit is taken, the coupon marked used by the order, and payment.completed carries
/// the debit as amount, the discount and the couponId. A failure debits nothing and uses nothing.
PaymentDecision Decide(PaymentState state, const std::vector<PaymentEvent>& events,
                       const std::function<std::string()>& new_id);

}  // namespace saga::payment
