#include "saga/completion/watchers.hpp"

#include <algorithm>

namespace saga::completion {

void Watcher::SendStep(const nlohmann::json& step) {
  if (finished_ || !sent_.insert(step.value("eventId", "")).second) return;
  nlohmann::json data = step;
  data.erase("eventId");
  stream_->Write("id: " + step.value("eventId", "") + "\nevent: step\ndata: " + data.dump() +
                 "\n\n");
}

void Watcher::SendFinal(const nlohmann::json& final) {
  if (finished_) return;
  finished_ = true;
  stream_->Write("event: final\ndata: " + final.dump() + "\n\n");
  stream_->Close();
}

void Watcher::ReplayStep(const nlohmann::json& step) {
  std::lock_guard lock(mu_);
  SendStep(step);
}

void Watcher::EndReplay(const std::optional<nlohmann::json>& final) {
  std::lock_guard lock(mu_);
  replaying_ = false;
  for (const auto& step : held_steps_) SendStep(step);
  held_steps_.clear();
  if (final) {
    SendFinal(*final);
  } else if (held_final_) {
    SendFinal(*held_final_);
  }
}

void Watcher::Step(const nlohmann::json& step) {
  std::lock_guard lock(mu_);
  if (replaying_) {
    held_steps_.push_back(step);
  } else {
    SendStep(step);
  }
}

void Watcher::Finish(const nlohmann::json& final) {
  std::lock_guard lock(mu_);
  if (replaying_) {
    held_final_ = final;
  } else {
    SendFinal(final);
  }
}

bool Watcher::Done() const {
  std::lock_guard lock(mu_);
  return finished_ || stream_->Closed();
}

void SagaWatchers::Add(const std::string& order_id, const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(mu_);
  auto& list = by_order_[order_id];
  std::erase_if(list, [](const auto& w) { return w->Done(); });
  list.push_back(watcher);
}

void SagaWatchers::Remove(const std::string& order_id, const std::shared_ptr<Watcher>& watcher) {
  std::lock_guard lock(mu_);
  const auto it = by_order_.find(order_id);
  if (it == by_order_.end()) return;
  std::erase(it->second, watcher);
  if (it->second.empty()) by_order_.erase(it);
}

void SagaWatchers::Publish(const std::vector<SagaUpdate>& updates) {
  for (const auto& u : updates) {
    std::vector<std::shared_ptr<Watcher>> watchers;
    {
      std::lock_guard lock(mu_);
      const auto it = by_order_.find(u.order_id);
      if (it == by_order_.end()) continue;
      watchers = it->second;
      if (u.final) by_order_.erase(it);
    }
    for (const auto& w : watchers) {
      for (const auto& step : u.steps) w->Step(step);
      if (u.final) w->Finish(*u.final);
    }
  }
}

std::size_t SagaWatchers::Size() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [_, list] : by_order_) n += list.size();
  return n;
}

}  // namespace saga::completion
