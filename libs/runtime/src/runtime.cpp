#include "saga/runtime/runtime.hpp"

#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <memory>

#include "saga/config/program.hpp"
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

namespace {

void PrintHelp(const std::string& executable, const Program& program,
               const std::function<void(const config::Env&)>& load) {
  // The settings are listed by loading the configuration from an empty environment: each one the
  // code reads is noted with the default it falls back to.
  auto settings = std::make_shared<std::vector<config::SettingInfo>>();
  config::Env env({});
  env.Record(settings);
  load(env);
  std::cout << config::VersionLine(executable) << "\n"
            << config::Wrap(program.summary, 0, 100) << "\n"
            << "Usage: " << executable << " [--help | --version]\n\n"
            << "Settings are environment variables (NAME=default  [allowed range]); a bad value\n"
            << "stops the start with exit code 2 and a message naming it. SIGTERM or SIGINT stops\n"
            << "the program cleanly. See docs/operations.md.\n\n"
            << config::SettingsHelp(*settings);
}

}  // namespace

namespace detail {

int Main(int argc, char** argv, const Program& program,
         const std::function<void(const config::Env&)>& load,
         const std::function<void(const config::Env&, StopStack&)>& start) {
  const std::string executable = std::string(program.service) + "-service";
  if (argc > 1) {
    const std::string arg = argv[1];
    if (argc == 2 && (arg == "--help" || arg == "-h")) {
      PrintHelp(executable, program, load);
      return 0;
    }
    if (argc == 2 && arg == "--version") {
      std::cout << config::VersionLine(executable) << std::endl;
      return 0;
    }
    std::cerr << executable << ": unexpected argument '" << arg
              << "'; settings are environment variables (see --help)" << std::endl;
    return 2;
  }

  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // The soft file descriptor limit up to the hard one (as Go and the JVM do): the HTTP connection
  // cap is derived from it (HTTP_MAX_CONNECTIONS=0). `ulimit -n N` sets both, and is kept.
  if (rlimit fds{}; getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }

  const auto env = config::Env::FromProcess();
  const std::string service(program.service);
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

}  // namespace detail
}  // namespace saga::runtime
