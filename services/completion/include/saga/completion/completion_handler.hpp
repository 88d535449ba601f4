#pragma once

#include <memory>

#include "saga/completion/watchers.hpp"
#include "saga/messaging/processor.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::completion {

/// Every saga event: records it as a step of its saga (events may arrive in any order, from
/// different topics), and the first time the steps make the saga final, marks it COMPLETED or
/// CANCELLED and emits order.completed or order.cancelled, exactly once (saga row lock).
/// After each committed batch, what changed is published to `watchers` (SSE clients) and the
/// sagas that became final are counted in `registry` (sagas_finished_total{status,reason},
/// saga_duration_seconds{status}).
class CompletionHandler : public messaging::EventHandler {
 public:
  explicit CompletionHandler(std::shared_ptr<SagaWatchers> watchers = nullptr,
                             metrics::Registry* registry = nullptr);
  void Prepare(const std::vector<messaging::Event>& events, db::Transaction& tx) override;
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
  void HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) override;
  void Committed() override;

 private:
  struct Finished {
    std::string status;
    std::string reason;
    double seconds;
  };
  std::shared_ptr<SagaWatchers> watchers_;
  prometheus::Family<prometheus::Counter>* finished_total_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
  std::vector<SagaUpdate> pending_;  // this batch's changes, published only once committed
  std::vector<Finished> finished_;   // this batch's final sagas, counted only once committed
};

/// The topics completion consumes.
std::vector<std::string> SagaTopics();

}  // namespace saga::completion
