#include "saga/payment/payment_rules.hpp"

namespace saga::payment {

using messaging::Incoming;
using Reserved = Incoming<contracts::StockReserved>;
using Aborted = Incoming<contracts::SagaAborted>;

std::vector<std::string> OrdersOf(const std::vector<PaymentEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (const auto* r = std::get_if<Reserved>(&e)) out.push_back(r->OrderId());
  }
  return out;
}

std::vector<std::string> AbortsOf(const std::vector<PaymentEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (const auto* a = std::get_if<Aborted>(&e)) out.push_back(a->OrderId());
  }
  return out;
}

std::vector<std::int64_t> UsersOf(const std::vector<PaymentEvent>& events) {
  std::set<std::int64_t> users;
  for (const auto& e : events) {
    std::visit([&](const auto& in) { users.insert(in.payload.user_id.value); }, e);
  }
  return {users.begin(), users.end()};
}

std::vector<CouponKey> CouponsOf(const std::vector<PaymentEvent>& events) {
  std::set<CouponKey> coupons;
  for (const auto& e : events) {
    const auto* r = std::get_if<Reserved>(&e);
    if (r != nullptr && r->payload.coupon_id) coupons.emplace(*r->payload.coupon_id, r->payload.user_id.value);
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
  if (s.aborted.contains(r.OrderId())) return;     // aborted: too late to pay
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
  const auto& row = d.payments.back();
  s.payments[r.OrderId()] = {row.payment_id, row.user_id, row.amount, reason ? "FAILED" : "COMPLETED",
                             row.coupon_id};
  if (reason) {
    d.events.push_back(messaging::EmitOf(
        *r.event, contracts::PaymentFailed{p.user_id, p.total_amount, reason, p.coupon_id}));
  } else {
    d.events.push_back(messaging::EmitOf(
        *r.event, contracts::PaymentCompleted{p.user_id, amount, discount,
                                              d.payments.back().payment_id, p.coupon_id}));
  }
}

// docs/adr/0017: the abort, confirmed each time it is asked.
void Abort(PaymentState& s, PaymentDecision& d, const Aborted& a) {
  const auto& order_id = a.OrderId();
  if (s.aborted.insert(order_id).second) d.aborted.push_back(order_id);
  contracts::PaymentRefunded refunded{a.payload.user_id, 0, std::nullopt, std::nullopt};
  const auto it = s.payments.find(order_id);
  if (it != s.payments.end() && it->second.status != "FAILED") {
    auto& pay = it->second;
    if (pay.status == "COMPLETED") {
      const auto balance = s.balances.find(pay.user_id);
      const auto back = balance == s.balances.end() ? std::nullopt : contracts::AddAmounts(balance->second, pay.amount);
      if (!back) {
        throw contracts::ContractError("refunding order " + order_id + " would take user " +
                                       std::to_string(pay.user_id) + "'s balance past the money limit");
      }
      balance->second = *back;
      d.balances[pay.user_id] = *back;
      d.refunds.push_back(order_id);
      if (pay.coupon_id) d.returns.push_back({*pay.coupon_id, pay.user_id, order_id});
      pay.status = "REFUNDED";
    }
    refunded = {contracts::UserId(pay.user_id), pay.amount, pay.payment_id, pay.coupon_id};
  }
  d.events.push_back(messaging::EmitOf(*a.event, refunded));
}

}  // namespace

PaymentDecision Decide(PaymentState state, const std::vector<PaymentEvent>& events,
                       const std::function<std::string()>& new_id) {
  PaymentDecision d;
  for (const auto& e : events) {
    std::visit(messaging::Overloaded{
                   [&](const Reserved& r) { Pay(state, d, r, new_id); },
                   [&](const Aborted& a) { Abort(state, d, a); },
               },
               e);
  }
  return d;
}

}  // namespace saga::payment
