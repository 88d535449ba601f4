#include "saga/order/final_status_handler.hpp"

#include <unordered_set>

#include "saga/log/log.hpp"
#include "order_store.hpp"

namespace saga::order {

using messaging::Incoming;

messaging::Output FinalStatusHandler::Handle(const std::vector<Typed>& events,
                                             db::Transaction& tx) {
  std::vector<FinalStatus> statuses;
  std::unordered_set<std::string> seen;
  for (const auto& e : events) {
    auto status = std::visit(messaging::Overloaded{
                                 [](const Incoming<contracts::OrderCompleted>& c) {
                                   return FinalStatus{c.OrderId(), "COMPLETED", std::nullopt,
                                                      c.payload.amount, c.payload.discount};
                                 },
                                 [](const Incoming<contracts::OrderCancelled>& c) {
                                   return FinalStatus{c.OrderId(), "CANCELLED", c.payload.reason, {}, {}};
                                 },
                             },
                             e);
    if (seen.insert(status.order_id).second) statuses.push_back(std::move(status));
  }
  const auto finished = store::FinishOrders(tx, statuses);
  if (finished != events.size()) {
    log::Warn("final status for orders that are not pending here",
              {{"events", events.size()}, {"finished", finished}});
  }
  return {};
}

}  // namespace saga::order
