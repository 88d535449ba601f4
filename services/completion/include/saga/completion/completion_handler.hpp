#pragma once

#include "saga/messaging/processor.hpp"

namespace saga::completion {

/// Every saga event: records it as a step of its saga (events may arrive in any order, from
/// different topics), and the first time the steps make the saga final, marks it COMPLETED or
/// CANCELLED and emits order.completed or order.cancelled, exactly once (saga row lock).
class CompletionHandler : public messaging::EventHandler {
 public:
  void Handle(const messaging::Event& event, db::Transaction& tx) override;
};

/// The topics completion consumes.
std::vector<std::string> SagaTopics();

}  // namespace saga::completion
