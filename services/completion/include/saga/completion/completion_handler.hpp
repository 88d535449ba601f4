#pragma once

#include <memory>

#include "saga/completion/completion_rules.hpp"
#include "saga/completion/watchers.hpp"
#include "saga/messaging/handler.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::completion {

/// Every saga event: records it as a step of its saga (events may arrive in any order, from
/// different topics), and the first time the steps make the saga final, marks it COMPLETED or
/// CANCELLED and emits order.completed or order.cancelled, exactly once (saga row lock).
/// Once a batch committed, what changed is published to `watchers` (SSE clients) and the sagas
/// that became final are counted in `registry` (sagas_finished_total{status,reason},
/// saga_duration_seconds{status}).
class CompletionHandler
    : public messaging::Handles<contracts::OrderCreated, contracts::StockReserved,
                                contracts::StockRejected, contracts::PaymentCompleted,
                                contracts::PaymentFailed, contracts::StockReleased,
                                contracts::SagaExpired, contracts::StockAborted,
                                contracts::PaymentRefunded> {
 public:
  explicit CompletionHandler(std::shared_ptr<SagaWatchers> watchers = nullptr,
                             metrics::Registry* registry = nullptr);

 protected:
  messaging::Output Handle(const std::vector<CompletionEvent>& events,
                           db::Transaction& tx) override;

 private:
  std::shared_ptr<SagaWatchers> watchers_;
  prometheus::Family<prometheus::Counter>* finished_total_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
};

}  // namespace saga::completion
