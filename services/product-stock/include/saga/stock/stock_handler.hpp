#pragma once

#include "saga/messaging/handler.hpp"
#include "saga/stock/stock_rules.hpp"

namespace saga::stock {

/// order.created -> reserve (stock.reserved or stock.rejected); payment.failed -> release
/// (stock.released). A batch is one locking read of its product rows in ascending id order (so
/// two transactions never wait on each other in a cycle), Decide in memory, then each changed
/// row written once.
class StockHandler : public messaging::Handles<contracts::OrderCreated, contracts::PaymentFailed> {
 protected:
  messaging::Output Handle(const std::vector<StockEvent>& events, db::Transaction& tx) override;
};

}  // namespace saga::stock
