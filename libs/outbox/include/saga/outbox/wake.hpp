#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <sys/socket.h>

namespace saga::outbox {

/// Tells the relay that a schema's outbox has new committed rows, so that its worker for that
/// schema need not wait for its next timed pass. A hint and nothing more: one UDP datagram
/// holding the schema's name, sent without waiting; a lost or unheard hint costs only latency,
/// because the relay still polls on its own timer.
class WakeSender {
 public:
  /// `address` is host:port of the relay's RELAY_WAKE_BIND; empty turns hints off; anything
  /// else throws config::ConfigError. A host that does not resolve yet (the relay not started)
  /// is tried again at most once every 5 s.
  WakeSender(std::string address, std::string schema);
  ~WakeSender();
  WakeSender(const WakeSender&) = delete;
  WakeSender& operator=(const WakeSender&) = delete;

  /// Sends the hint. Never throws and never blocks; safe from several threads.
  void Notify() noexcept;
  bool Enabled() const { return !address_.empty(); }

 private:
  bool Resolve();

  std::string address_;
  std::string schema_;
  std::mutex mu_;
  int fd_ = -1;
  sockaddr_storage peer_{};
  socklen_t peer_len_ = 0;
  std::chrono::steady_clock::time_point next_resolve_{};
};

/// The relay's end: a UDP socket bound to host:port that yields the schema names it receives.
class WakeListener {
 public:
  /// Throws std::runtime_error (config::ConfigError if it is not host:port) naming `address`
  /// if it cannot be bound.
  explicit WakeListener(const std::string& address);
  ~WakeListener();
  WakeListener(const WakeListener&) = delete;
  WakeListener& operator=(const WakeListener&) = delete;

  /// The next hint, or nothing once `timeout` passed without one.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout);
  /// The bound port (useful with port 0).
  int Port() const;

 private:
  int fd_ = -1;
};

}  // namespace saga::outbox
