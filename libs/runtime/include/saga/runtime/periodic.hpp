#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace saga::runtime {

/// A thread that runs `task` every `every` until Stop(): the first time at once, or `every`
/// after the start. The services' background readers and clean-ups (admission's samples, the
/// deadline scan, the retention clean-up, completion's stuck-saga gauges) are each one. `task`
/// handles its own errors; Stopping() lets a long task end early.
class Periodic {
 public:
  enum class First { kAtOnce, kAfterOnePeriod };

  Periodic(std::chrono::milliseconds every, First first, std::function<void()> task);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  /// Ends the thread (waits for a run under way); later calls do nothing.
  void Stop();
  bool Stopping();

 private:
  void Run(First first);

  const std::chrono::milliseconds every_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace saga::runtime
