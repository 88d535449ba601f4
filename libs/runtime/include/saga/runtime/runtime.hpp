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

/// What `--help` says about a program besides its settings.
struct Program {
  std::string_view service;  ///< "order"; the executable is "<service>-service"
  std::string_view summary;  ///< one sentence
};

namespace detail {
int Main(int argc, char** argv, const Program& program,
         const std::function<void(const config::Env&)>& load,
         const std::function<void(const config::Env&, StopStack&)>& start);
}  // namespace detail

/// The whole of a service's main(). `--help` lists every setting `load` reads, with the defaults
/// it uses (docs/adr/0002-settings-listed-from-the-code-that-reads-them.md); `--version` prints
/// the version; any other argument is refused (exit code 2).
/// Otherwise it blocks stop signals, loads the configuration from the environment, calls `start`
/// with it, waits for SIGINT or SIGTERM and runs the stop actions. Returns the process exit code
/// (2 for a configuration error).
template <typename Config>
int Main(int argc, char** argv, const Program& program, Config (*load)(const config::Env&),
         void (*start)(const Config&, StopStack&)) {
  return detail::Main(
      argc, argv, program, [load](const config::Env& env) { (void)load(env); },
      [load, start](const config::Env& env, StopStack& stops) { start(load(env), stops); });
}

}  // namespace saga::runtime
