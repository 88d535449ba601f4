#pragma once

#include "saga/messaging/processor.hpp"

namespace saga::stock {

/// order.created: reserve every item or none (never below zero) and emit stock.reserved with
/// prices, or stock.rejected. payment.failed: give back exactly what the order reserved, once,
/// and emit stock.released. All product rows a batch touches are locked in one statement, in
/// ascending id order, before any stock changes (a payment.failed's products come from its
/// reservations, read first), so two transactions never wait on each other in a cycle.
class StockHandler : public messaging::EventHandler {
 public:
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
  /// The batch in a few multi-row statements: the events are applied in order to the locked
  /// product rows held in memory, then each changed product is written once.
  void HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) override;
};

}  // namespace saga::stock
