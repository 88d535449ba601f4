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

namespace {

void Pay(PaymentState& s, PaymentDecision& d, const Reserved& r,
         const std::function<std::string()>& new_id) {
  if (!s.paid.insert(r.OrderId()).second) return;  // paid (or refused) already
  const auto& p = r.payload;
  std::optional<std::string> reason;
  const auto it = s.balances.find(p.user_id.value);
  if (it == s.balances.end()) {
    reason = contracts::reasons::kUnknownUser;
  } else if (it->second < p.total_amount) {
    reason = contracts::reasons::kInsufficientBalance;
  } else {
    it->second -= p.total_amount;
    d.balances[p.user_id.value] = it->second;
  }
  d.payments.push_back({r.OrderId(), new_id(), p.user_id.value, p.total_amount, reason});
  if (reason) {
    d.events.push_back(
        messaging::EmitOf(*r.event, contracts::PaymentFailed{p.user_id, p.total_amount, *reason}));
  } else {
    d.events.push_back(messaging::EmitOf(
        *r.event,
        contracts::PaymentCompleted{p.user_id, p.total_amount, d.payments.back().payment_id}));
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
