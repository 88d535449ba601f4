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
  std::vector<nlohmann::json> steps;    // {"eventId","event","at","reason"?}
  std::optional<nlohmann::json> final;  // {"orderId","status","reason","durationMs"} once final
};

/// One SSE client of one saga: sends each step once (by eventId), then the final status, then
/// closes. It is registered before the database replay starts, so a step committed meanwhile
/// reaches it by either path; live updates that arrive during the replay are held and sent after
/// it, so a live final status can never cut the replayed history short.
class Watcher {
 public:
  explicit Watcher(std::shared_ptr<http::EventStream> stream) : stream_(std::move(stream)) {}
  /// A step read from the database (replay).
  void ReplayStep(const nlohmann::json& step);
  /// The replay is over: `final` is the status it read, if the saga was already final. Sends
  /// the held live steps, then the final status (read or live) if there is one.
  void EndReplay(const std::optional<nlohmann::json>& final);
  /// Live updates from committed consumer batches.
  void Step(const nlohmann::json& step);
  void Finish(const nlohmann::json& final);
  bool Done() const;

 private:
  void SendStep(const nlohmann::json& step);    // mu_ held
  void SendFinal(const nlohmann::json& final);  // mu_ held

  mutable std::mutex mu_;
  std::shared_ptr<http::EventStream> stream_;
  std::set<std::string> sent_;
  bool replaying_ = true;
  std::vector<nlohmann::json> held_steps_;
  std::optional<nlohmann::json> held_final_;
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
