#include "saga/order/final_status_handler.hpp"

#include <unordered_set>

#include "saga/contracts/saga_events.hpp"
#include "saga/log/log.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {
namespace {

// The status an order.completed / order.cancelled event sets; throws ContractError if it cannot.
FinalStatus StatusOf(const messaging::Event& event) {
  const auto& env = event.envelope;
  auto finished = contracts::PayloadAs<contracts::OrderFinished>(env.payload, env.event_type);
  if (env.event_type == contracts::topics::kOrderCompleted) return {env.order_id, "COMPLETED", finished.reason};
  if (env.event_type == contracts::topics::kOrderCancelled) {
    if (!finished.reason) throw contracts::ContractError("order.cancelled needs a reason");
    return {env.order_id, "CANCELLED", std::move(finished.reason)};
  }
  throw contracts::ContractError("order does not handle " + env.event_type);
}

}  // namespace

void FinalStatusHandler::Handle(const messaging::Event& event, db::Transaction& tx) {
  HandleBatch({&event}, tx);
}

void FinalStatusHandler::HandleBatch(const std::vector<const messaging::Event*>& events,
                                     db::Transaction& tx) {
  std::vector<FinalStatus> statuses;
  std::unordered_set<std::string> seen;
  for (const auto* event : events) {
    auto status = StatusOf(*event);
    if (seen.insert(status.order_id).second) statuses.push_back(std::move(status));
  }
  const auto finished = FinishOrders(tx, statuses);
  if (finished != events.size()) {
    log::Warn("final status for orders that are not pending here",
              {{"events", events.size()}, {"finished", finished}});
  }
}

}  // namespace saga::order
