#include "saga/payment/payment_rules.hpp"

namespace saga::payment {

using messaging::Incoming;
using Reserved = Incoming<contracts::StockReserved>;

std::vector<std::string> OrdersOf(const std::vector<PaymentEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(std::get<Reserved>(e).OrderId());
  return out;
}

std::vector<std::int64_t> UsersOf(const std::vector<PaymentEvent>& events) {
  std::set<std::int64_t> users;
  for (const auto& e : events) users.insert(std::get<Reserved>(e).payload.user_id.value);
  return {users.begin(), users.end()};
}

std::vector<CouponKey> CouponsOf(const std::vector<PaymentEvent>& events) {
  std::set<CouponKey> coupons;
  for (const auto& e : events) {
    const auto& p = std::get<Reserved>(e).payload;
    if (p.coupon_id) coupons.emplace(*p.coupon_id, p.user_id.value);
  }
  return {coupons.begin(), coupons.end()};
}

namespace {

// Why the order's coupon cannot be used (or nothing), and its discount on `total`.
const char* CheckCoupon(const PaymentState& s, const contracts::StockReserved& p, std::int64_t& discount) {
  if (!p.coupon_id) return nullptr;
  const auto it = s.coupons.find({*p.coupon_id, p.user_id.value});
  if (it == s.coupons.end()) return contracts::reasons::kCouponNotIssued;
  if (it->second.used_by) return contracts::reasons::kCouponAlreadyUsed;
  if (!it->second.valid_now) return contracts::reasons::kCouponExpired;
  discount = Discount(it->second.terms, p.total_amount);
  return nullptr;
}

void Pay(PaymentState& s, PaymentDecision& d, const Reserved& r,
         const std::function<std::string()>& new_id) {
  if (!s.paid.insert(r.OrderId()).second) return;  // paid (or refused) already
  const auto& p = r.payload;
  const char* reason = nullptr;
  std::int64_t discount = 0;
  const auto it = s.balances.find(p.user_id.value);
  if (it == s.balances.end()) {
    reason = contracts::reasons::kUnknownUser;
  } else if ((reason = CheckCoupon(s, p, discount)) != nullptr) {
    discount = 0;
  } else if (it->second < p.total_amount - discount) {
    reason = contracts::reasons::kInsufficientBalance;
    discount = 0;
  } else {
    it->second -= p.total_amount - discount;
    d.balances[p.user_id.value] = it->second;
    if (p.coupon_id) {
      s.coupons.at({*p.coupon_id, p.user_id.value}).used_by = r.OrderId();
      d.uses.push_back({*p.coupon_id, p.user_id.value, r.OrderId()});
    }
  }
  const auto amount = p.total_amount - discount;
  d.payments.push_back({r.OrderId(), new_id(), p.user_id.value, amount,
                        reason ? std::optional<std::string>(reason) : std::nullopt, discount, p.coupon_id});
  if (reason) {
    d.events.push_back(messaging::EmitOf(
        *r.event, contracts::PaymentFailed{p.user_id, p.total_amount, reason, p.coupon_id}));
  } else {
    d.events.push_back(messaging::EmitOf(
        *r.event, contracts::PaymentCompleted{p.user_id, amount, discount,
                                              d.payments.back().payment_id, p.coupon_id}));
  }
}

}  // namespace

PaymentDecision Decide(PaymentState state, const std::vector<PaymentEvent>& events,
                       const std::function<std::string()>& new_id) {
  PaymentDecision d;
  for (const auto& e : events) Pay(state, d, std::get<Reserved>(e), new_id);
  return d;
}

}  // namespace saga::payment
