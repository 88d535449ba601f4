#pragma once

#include "saga/messaging/handler.hpp"
#include "saga/payment/payment_rules.hpp"

namespace saga::payment {

/// stock.reserved -> debit at most once per order (the payments primary key), never below zero
/// -> payment.completed or payment.failed. A batch locks its accounts together in ascending id
/// order, applies the events in memory (Decide) and writes each changed balance once.
/// saga.aborted -> refund a debit and refuse a later one (payment.refunded).
class PaymentHandler : public messaging::Handles<contracts::StockReserved, contracts::SagaAborted> {
 protected:
  messaging::Output Handle(const std::vector<PaymentEvent>& events, db::Transaction& tx) override;
};

}  // namespace saga::payment
