#pragma once

#include "saga/messaging/handler.hpp"
#include "saga/stock/stock_rules.hpp"

namespace saga::stock {

/// order.created -> reserve (stock.reserved or stock.rejected); payment.failed -> release
/// (stock.released); saga.aborted -> release and refuse later reservations (stock.aborted). A batch
/// is one locking read of its product rows in ascending id order, then of the reservations it gives
/// back (so two transactions never wait on each other in a cycle), Decide in memory, then each
/// changed row written once.
class StockHandler : public messaging::Handles<contracts::OrderCreated, contracts::PaymentFailed,
                                               contracts::SagaAborted> {
 protected:
  messaging::Output Handle(const std::vector<StockEvent>& events, db::Transaction& tx) override;
};

}  // namespace saga::stock
