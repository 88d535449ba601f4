#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "saga/kafka/message.hpp"

namespace saga::kafka {

struct ProducerOptions {
  std::string bootstrap{};
  std::string client_id = "saga";
  int linger_ms = 2;
  /// Upper bound for one message's delivery (including retries) before it is reported failed.
  int message_timeout_ms = 30000;
  Properties extra{};
};

struct DeliveryResult {
  bool ok = false;
  std::string error;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

/// Idempotent producer (enable.idempotence, acks=all): per-partition order is kept and broker
/// retries never duplicate. Use from one thread at a time.
class Producer {
 public:
  explicit Producer(const ProducerOptions& options);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  /// Enqueues every message, then waits until each has a delivery report. Result i is message i.
  std::vector<DeliveryResult> SendAndWait(const std::vector<OutMessage>& messages);
  /// True if cluster metadata arrives within `timeout`.
  bool Reachable(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saga::kafka
