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
using PaymentEvent = std::variant<messaging::Incoming<contracts::StockReserved>,
                                  messaging::Incoming<contracts::SagaAborted>>;

/// A coupon issued to a user: its campaign's terms, whether the campaign is valid now, and the
/// order that used it.
struct HeldCoupon {
  Campaign terms;
  bool valid_now = false;
  std::optional<std::string> used_by;
};

/// A user's coupon of a campaign: (couponId, userId).
using CouponKey = std::pair<std::string, std::int64_t>;

/// A stored payment, as an abort needs it. status: COMPLETED, FAILED or REFUNDED.
struct PaymentRecord {
  std::string payment_id;
  std::int64_t user_id = 0;
  std::int64_t amount = 0;
  std::string status;
  std::optional<std::string> coupon_id;
  bool operator==(const PaymentRecord&) const = default;
};

/// What the database holds for a batch: the orders that have a payment already, the orders
/// aborted already, the payments of the orders it aborts (locked), the balances of its users'
/// accounts (locked; a user with no account is missing), and the coupons its orders name that are
/// issued to their users (locked; a coupon not issued is missing).
struct PaymentState {
  std::set<std::string> paid;
  std::set<std::string> aborted;
  std::map<std::string, PaymentRecord> payments;
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

/// What a batch changes: each changed balance, the new payments, the coupons used, the payments
/// refunded, the coupons given back, the orders newly aborted and the events to publish.
struct PaymentDecision {
  std::map<std::int64_t, std::int64_t> balances;
  std::vector<PaymentRow> payments;
  std::vector<CouponUse> uses;
  std::vector<std::string> refunds;
  std::vector<CouponUse> returns;
  std::vector<std::string> aborted;
  std::vector<messaging::Emit> events;
};

/// The batch's orders to pay (stock.reserved) and to abort (saga.aborted), its users (ascending:
/// the lock order) and the coupons its orders name (ascending, distinct; locked after the
/// accounts).
std::vector<std::string> OrdersOf(const std::vector<PaymentEvent>& events);
std::vector<std::string> AbortsOf(const std::vector<PaymentEvent>& events);
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
/// An aborted order's stock.reserved is skipped: nothing debited, nothing emitted.
/// docs/adr/0017. saga.aborted, every time it is asked: a COMPLETED payment (stored, or made
/// earlier in the batch) is refunded (the debit back on the balance, the payment REFUNDED, its
/// coupon unused), the order is marked aborted, and payment.refunded carries what was refunded
/// (0 and no paymentId when nothing was debited).
PaymentDecision Decide(PaymentState state, const std::vector<PaymentEvent>& events,
                       const std::function<std::string()>& new_id);

}  // namespace saga::payment
