#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "saga/http/router.hpp"

namespace saga::completion {

/// What became durable for one saga in a committed batch.
struct SagaUpdate {
  std::string order_id;
  std::vector<nlohmann::json> steps;   // {"eventId","event","at","reason"?}
  std::optional<nlohmann::json> final; // {"orderId","status","reason","durationMs"} once final
};

/// One SSE client of one saga: sends each step once (by eventId), then the final status, then
/// closes. Steps can reach it from the database replay and from live updates in any interleaving.
class Watcher {
 public:
  explicit Watcher(std::shared_ptr<http::EventStream> stream) : stream_(std::move(stream)) {}
  void Step(const nlohmann::json& step);
  void Finish(const nlohmann::json& final);
  bool Done() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<http::EventStream> stream_;
  std::set<std::string> sent_;
  bool finished_ = false;
};

/// In-process fan-out of saga updates to SSE watchers: the consumer publishes once per committed
/// batch, so a thousand watchers cost no database polling at all.
class SagaWatchers {
 public:
  void Add(const std::string& order_id, const std::shared_ptr<Watcher>& watcher);
  void Remove(const std::string& order_id, const std::shared_ptr<Watcher>& watcher);
  void Publish(const std::vector<SagaUpdate>& updates);
  std::size_t Size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<Watcher>>> by_order_;
};

}  // namespace saga::completion
