#pragma once

#include "saga/messaging/processor.hpp"

namespace saga::order {

/// order.completed and order.cancelled (from completion): the order's final status and reason.
class FinalStatusHandler : public messaging::EventHandler {
 public:
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
  /// The batch's final statuses in one UPDATE (the first event per order counts, as one at a time).
  void HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) override;
};

}  // namespace saga::order
