#include "saga/completion/completion_handler.hpp"

#include "completion_store.hpp"
#include "saga/contracts/ids.hpp"

namespace saga::completion {

CompletionHandler::CompletionHandler(std::shared_ptr<SagaWatchers> watchers,
                                     metrics::Registry* registry)
    : watchers_(std::move(watchers)) {
  if (registry == nullptr) return;
  finished_total_ = &prometheus::BuildCounter()
                         .Name("sagas_finished_total")
                         .Help("Sagas that reached a final status, by status and reason")
                         .Register(registry->Raw());
  duration_ = &prometheus::BuildHistogram()
                   .Name("saga_duration_seconds")
                   .Help("Saga time: first event (order.created) to final status")
                   .Register(registry->Raw());
}

messaging::Output CompletionHandler::Handle(const std::vector<CompletionEvent>& events,
                                            db::Transaction& tx) {
  const auto steps = StepsOf(events);
  auto decision =
      Decide(store::Load(tx, steps), steps, contracts::NowIso8601(), contracts::NewUuid);
  store::Save(tx, decision);
  messaging::Output out{std::move(decision.events), {}};
  if (watchers_) {
    out.after_commit.push_back([watchers = watchers_, updates = std::move(decision.updates)] {
      watchers->Publish(updates);
    });
  }
  if (finished_total_ != nullptr && !decision.finishes.empty()) {
    out.after_commit.push_back([this, finishes = std::move(decision.finishes)] {
      for (const auto& f : finishes) {
        finished_total_->Add({{"status", f.status}, {"reason", f.reason.value_or("none")}})
            .Increment();
        duration_->Add({{"status", f.status}}, metrics::LatencyBuckets())
            .Observe(static_cast<double>(f.duration_ms) / 1000.0);
      }
    });
  }
  return out;
}

}  // namespace saga::completion
