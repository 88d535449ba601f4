#include "saga/completion/completion_rules.hpp"

#include <algorithm>

#include "saga/contracts/json.hpp"

namespace saga::completion {

using messaging::Incoming;

void AddMoney(nlohmann::json& step, const Money& money) {
  if (money.amount) step["amount"] = *money.amount;
  if (money.discount) step["discount"] = *money.discount;
  if (money.coupon_id) step["couponId"] = *money.coupon_id;
}

std::vector<StepIn> StepsOf(const std::vector<CompletionEvent>& events) {
  std::vector<StepIn> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    out.push_back(std::visit(messaging::Overloaded{
                                 [](const Incoming<contracts::OrderCreated>& c) -> StepIn {
                                   return {c.event, std::nullopt, {}, {{}, {}, c.payload.coupon_id}};
                                 },
                                 [](const Incoming<contracts::StockReserved>& r) -> StepIn {
                                   const auto& p = r.payload;
                                   return {r.event, std::nullopt, {}, {p.total_amount, {}, p.coupon_id}};
                                 },
                                 [](const Incoming<contracts::StockRejected>& r) -> StepIn {
                                   return {r.event, r.payload.reason, {}};
                                 },
                                 [](const Incoming<contracts::PaymentCompleted>& c) -> StepIn {
                                   const auto& p = c.payload;
                                   return {c.event, std::nullopt, {}, {p.amount, p.discount, p.coupon_id}};
                                 },
                                 [](const Incoming<contracts::PaymentFailed>& f) -> StepIn {
                                   const auto& p = f.payload;
                                   return {f.event, p.reason, {}, {p.amount, {}, p.coupon_id}};
                                 },
                                 [](const Incoming<contracts::PaymentRefunded>& r) -> StepIn {
                                   const auto& p = r.payload;
                                   return {r.event, std::nullopt, {}, {p.amount, {}, p.coupon_id}};
                                 },
                                 [](const Incoming<contracts::SagaExpired>& x) -> StepIn {
                                   return {x.event, std::nullopt, {}, {{}, {}, x.payload.coupon_id}, &x.payload};
                                 },
                                 [](const auto& other) -> StepIn {
                                   return {other.event, std::nullopt, {}};
                                 },
                             },
                             e));
    out.back().occurred = ToDbTime(out.back().event->envelope.occurred_at);
  }
  return out;
}

std::map<std::string, std::string> EarliestOf(const std::vector<StepIn>& steps) {
  std::map<std::string, std::string> out;
  for (const auto& s : steps) {
    auto [it, added] = out.try_emplace(s.event->envelope.order_id, s.occurred);
    if (!added && s.occurred < it->second) it->second = s.occurred;
  }
  return out;
}

std::vector<Step> WithAbort(const SagaRow& saga, std::vector<Step> batch) {
  if (saga.aborted) batch.push_back({contracts::SagaAborted::kType, contracts::reasons::kTimedOut});
  return batch;
}

bool HistoryNeeded(const SagaRow& saga, const std::vector<Step>& batch) {
  const bool expired = std::any_of(batch.begin(), batch.end(), [](const Step& step) {
    return step.event_type == contracts::SagaExpired::kType;
  });
  return expired || (saga.status == "PENDING" && NeedsHistory(WithAbort(saga, batch)));
}

std::map<std::string, std::vector<Step>> ByOrder(const std::vector<StepIn>& steps) {
  std::map<std::string, std::vector<Step>> out;
  for (const auto& s : steps)
    out[s.event->envelope.order_id].push_back({s.event->envelope.event_type, s.reason, s.money});
  return out;
}

namespace {

nlohmann::json StepJson(const std::string& event_id, const std::string& type, const std::string& at,
                        const std::optional<std::string>& reason, const Money& money = {}) {
  nlohmann::json j{{"eventId", event_id}, {"event", type}, {"at", at}};
  if (reason) j["reason"] = *reason;
  AddMoney(j, money);
  return j;
}

// What the event announcing `outcome` carries: the reason of a cancellation; the debit, discount
// and coupon of a completion (from its payment.completed step, which COMPLETED needs).
std::pair<nlohmann::json, Money> Announcement(const Outcome& outcome, const std::vector<Step>& seen) {
  auto payload = nlohmann::json::object();
  Money money;
  if (outcome.reason) payload["reason"] = *outcome.reason;
  if (outcome.announced_by == contracts::OrderCompleted::kType) {
    const auto paid = std::find_if(seen.begin(), seen.end(), [](const Step& s) {
      return s.event_type == contracts::PaymentCompleted::kType;
    });
    if (paid != seen.end()) money = paid->money;
    payload = contracts::OrderCompleted{money.amount.value_or(0), money.discount.value_or(0), money.coupon_id};
  }
  return {std::move(payload), std::move(money)};
}

// The final saga's announcing event again, for an order service that asks (saga.expired) because
// it never got the first one.
messaging::Emit Reannouncement(const SagaRow& saga, const std::vector<Step>& seen, const StepIn& cause,
                               const std::string& now, const std::function<std::string()>& new_id) {
  Outcome outcome{saga.status, saga.reason, {}};
  for (const auto& o : contracts::Saga().outcomes) {
    if (o.status == saga.status) outcome.announced_by = std::string(o.announced_by);
  }
  return {cause.event, outcome.announced_by, Announcement(outcome, seen).first, new_id(), now};
}

// docs/adr/0017: saga.aborted, emitted and recorded as a step of the saga in the same transaction.
void Abort(CompletionDecision& d, const StepIn& cause, const std::string& now, const std::string& event_id,
           std::size_t update) {
  const auto& order_id = cause.event->envelope.order_id;
  d.aborted.push_back(order_id);
  const auto& x = *cause.expired;
  const contracts::SagaAborted aborted{contracts::reasons::kTimedOut, x.user_id, x.items, x.coupon_id};
  d.steps.push_back({order_id, event_id, aborted.kType, aborted.reason, ToDbTime(now), {{}, {}, x.coupon_id}});
  d.events.push_back({cause.event, aborted.kType, aborted, event_id, now});
  d.updates[update].steps.push_back(StepJson(event_id, aborted.kType, now, aborted.reason));
}

}  // namespace

CompletionDecision Decide(const CompletionState& state, const std::vector<StepIn>& steps,
                          const std::string& now, const std::function<std::string()>& new_id) {
  CompletionDecision d;
  std::map<std::string, std::size_t> last;  // saga -> index in d.updates of its last step
  std::map<std::string, const StepIn*> last_step;
  for (const auto& s : steps) {
    const auto& env = s.event->envelope;
    d.steps.push_back({env.order_id, env.event_id, env.event_type, s.reason, s.occurred, s.money});
    d.updates.push_back({env.order_id,
                         {StepJson(env.event_id, env.event_type, env.occurred_at, s.reason, s.money)},
                         std::nullopt});
    last[env.order_id] = d.updates.size() - 1;
    last_step[env.order_id] = &s;
  }
  const auto finished_at = ToDbTime(now);
  const auto finished_ms = DbTimeMillis(finished_at);
  std::map<std::string, const StepIn*> expired;  // saga -> its last saga.expired of the batch
  for (const auto& s : steps) {
    if (s.expired != nullptr) expired[s.event->envelope.order_id] = &s;
  }
  for (auto [order_id, seen] : ByOrder(steps)) {
    const auto& saga = state.sagas.at(order_id);
    if (const auto h = state.history.find(order_id); h != state.history.end()) {
      seen.insert(seen.end(), h->second.begin(), h->second.end());
    }
    seen = WithAbort(saga, std::move(seen));
    const auto x = expired.find(order_id);
    if (saga.status != "PENDING") {  // final already: only a late step
      if (x != expired.end()) d.events.push_back(Reannouncement(saga, seen, *x->second, now, new_id));
      continue;
    }
    const auto outcome = Decide(seen);
    if (!outcome.Final()) {
      if (x != expired.end()) Abort(d, *x->second, now, new_id(), last.at(order_id));
      continue;
    }
    const auto event_id = new_id();
    const auto duration_ms = finished_ms - saga.started_ms;
    d.finishes.push_back({order_id, outcome.status, outcome.reason, finished_at, duration_ms});
    auto [payload, money] = Announcement(outcome, seen);
    d.steps.push_back({order_id, event_id, outcome.announced_by, outcome.reason, finished_at, money});
    d.events.push_back(
        {last_step.at(order_id)->event, outcome.announced_by, std::move(payload), event_id, now});
    auto& update = d.updates[last.at(order_id)];
    update.steps.push_back(StepJson(event_id, outcome.announced_by, now, outcome.reason, money));
    update.final = nlohmann::json{{"orderId", order_id},
                                  {"status", outcome.status},
                                  {"reason", contracts::OrNull(outcome.reason)}};
  }
  return d;
}

}  // namespace saga::completion
