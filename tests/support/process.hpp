#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace saga::test {

/// A child process with extra environment variables; killed (SIGKILL) when destroyed if alive.
class Process {
 public:
  Process(const std::string& path, const std::map<std::string, std::string>& env,
          const std::string& log_file);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Waits up to `timeout` for exit; returns the exit code (128+signal if killed), or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int sig);
  bool Running();
  pid_t Pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace saga::test
