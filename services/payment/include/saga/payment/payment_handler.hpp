#pragma once

#include "saga/messaging/processor.hpp"

namespace saga::payment {

/// stock.reserved: debit the user's totalAmount at most once per order (the payments primary
/// key), never below zero (row lock + check), and emit payment.completed, or payment.failed
/// with INSUFFICIENT_BALANCE or UNKNOWN_USER.
class PaymentHandler : public messaging::EventHandler {
 public:
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
  /// The batch in a few multi-row statements: accounts locked together in ascending id order,
  /// the events applied in order to the balances in memory, each changed balance written once.
  void HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) override;
};

}  // namespace saga::payment
