#pragma once

#include <memory>

#include "saga/completion/watchers.hpp"
#include "saga/messaging/processor.hpp"

namespace saga::completion {

/// Every saga event: records it as a step of its saga (events may arrive in any order, from
/// different topics), and the first time the steps make the saga final, marks it COMPLETED or
/// CANCELLED and emits order.completed or order.cancelled, exactly once (saga row lock).
/// After each committed batch, what changed is published to `watchers` (SSE clients).
class CompletionHandler : public messaging::EventHandler {
 public:
  explicit CompletionHandler(std::shared_ptr<SagaWatchers> watchers = nullptr)
      : watchers_(std::move(watchers)) {}
  void Prepare(const std::vector<messaging::Event>& events, db::Transaction& tx) override;
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
  void Committed() override;

 private:
  std::shared_ptr<SagaWatchers> watchers_;
  std::vector<SagaUpdate> pending_;  // this batch's changes, published only once committed
};

/// The topics completion consumes.
std::vector<std::string> SagaTopics();

}  // namespace saga::completion
