#include "saga/runtime/periodic.hpp"

namespace saga::runtime {

Periodic::Periodic(std::chrono::milliseconds every, First first, std::function<void()> task)
    : every_(every), task_(std::move(task)) {
  thread_ = std::thread([this, first] { Run(first); });
}

Periodic::~Periodic() { Stop(); }

void Periodic::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Periodic::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Periodic::Run(First first) {
  std::unique_lock lock(mu_);
  if (first == First::kAfterOnePeriod) stop_cv_.wait_for(lock, every_, [this] { return stopping_; });
  while (!stopping_) {
    lock.unlock();
    task_();
    lock.lock();
    stop_cv_.wait_for(lock, every_, [this] { return stopping_; });
  }
}

}  // namespace saga::runtime
