#include "saga/runtime/runtime.hpp"

#include <csignal>
#include <iostream>

#include "saga/log/log.hpp"

namespace saga::runtime {

void StopStack::Push(std::string name, std::function<void()> action) {
  actions_.emplace_back(std::move(name), std::move(action));
}

void StopStack::RunAll() {
  while (!actions_.empty()) {
    auto [name, action] = std::move(actions_.back());
    actions_.pop_back();
    try {
      action();
    } catch (const std::exception& e) {
      log::Error("stop action failed", {{"part", name}, {"error", e.what()}});
    }
  }
}

int Main(std::string_view service, const StartFn& start) {
  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const auto env = config::Env::FromProcess();
  log::Init(service, env.String("LOG_LEVEL", "info"));
  StopStack stops;
  try {
    start(env, stops);
  } catch (const config::ConfigError& e) {
    std::cerr << service << ": configuration error: " << e.what() << std::endl;
    log::Error("configuration error", {{"error", e.what()}});
    return 2;
  } catch (const std::exception& e) {
    log::Error("start failed", {{"error", e.what()}});
    stops.RunAll();
    return 1;
  }
  log::Info("started");
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("stopping", {{"signal", sig}});
  stops.RunAll();
  log::Info("stopped");
  return 0;
}

}  // namespace saga::runtime
