#pragma once

#include <variant>

#include "saga/messaging/handler.hpp"

namespace saga::order {

/// order.completed and order.cancelled (from completion): the order's final status and reason,
/// the batch's in one UPDATE (the first event per order counts, as one at a time would).
class FinalStatusHandler
    : public messaging::Handles<contracts::OrderCompleted, contracts::OrderCancelled> {
 protected:
  messaging::Output Handle(const std::vector<Typed>& events, db::Transaction& tx) override;
};

}  // namespace saga::order
