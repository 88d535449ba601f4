#include "saga/order/final_status_handler.hpp"

#include "saga/contracts/saga_events.hpp"
#include "saga/log/log.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {

void FinalStatusHandler::Handle(const messaging::Event& event, db::Transaction& tx) {
  const auto& env = event.envelope;
  const auto finished = contracts::PayloadAs<contracts::OrderFinished>(env.payload, env.event_type);
  std::string status;
  if (env.event_type == contracts::topics::kOrderCompleted) {
    status = "COMPLETED";
  } else if (env.event_type == contracts::topics::kOrderCancelled) {
    if (!finished.reason) throw contracts::ContractError("order.cancelled needs a reason");
    status = "CANCELLED";
  } else {
    throw contracts::ContractError("order does not handle " + env.event_type);
  }
  if (!FinishOrder(tx, env.order_id, status, finished.reason)) {
    log::Warn("final status for an order that is not pending here",
              {{"orderId", env.order_id}, {"status", status}, {"traceparent", event.traceparent}});
  }
}

}  // namespace saga::order
