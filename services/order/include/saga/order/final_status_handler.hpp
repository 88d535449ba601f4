#pragma once

#include "saga/messaging/processor.hpp"

namespace saga::order {

/// order.completed and order.cancelled (from completion): the order's final status and reason.
class FinalStatusHandler : public messaging::EventHandler {
 public:
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
};

}  // namespace saga::order
