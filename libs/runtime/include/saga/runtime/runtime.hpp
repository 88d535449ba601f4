#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "saga/config/env.hpp"

namespace saga::runtime {

/// Stop actions, run in the reverse order they were registered (last started, first stopped).
class StopStack {
 public:
  ~StopStack() { RunAll(); }
  void Push(std::string name, std::function<void()> action);
  void RunAll();

 private:
  std::vector<std::pair<std::string, std::function<void()>>> actions_;
};

using StartFn = std::function<void(const config::Env& env, StopStack& stops)>;

/// The whole of a service's main(): blocks stop signals, calls `start`, waits for SIGINT or
/// SIGTERM, runs the stop actions. Returns the process exit code (2 for configuration errors).
int Main(std::string_view service, const StartFn& start);

}  // namespace saga::runtime
