#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "saga/kafka/message.hpp"

namespace saga::kafka {

/// How far one assigned partition's committed offset is behind its high watermark.
struct PartitionLag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t lag = 0;
};
using LagHandler = std::function<void(const std::vector<PartitionLag>&)>;

/// The partitions with a known lag in a librdkafka statistics document (statistics.interval.ms):
/// `consumer_lag` of every real partition (not the internal -1) that reports one (>= 0).
std::vector<PartitionLag> ParseConsumerLag(const std::string& stats_json);

struct ConsumerOptions {
  std::string bootstrap{};
  std::string group_id{};
  std::vector<std::string> topics{};
  std::size_t max_batch = 500;
  std::chrono::milliseconds poll_wait{100};
  Properties extra{};
  /// If set, called with this member's partition lags every `lag_interval`, from inside Poll.
  LagHandler on_lag{};
  std::chrono::milliseconds lag_interval{5000};
  /// If set, called with this member's number of assigned partitions after every rebalance
  /// (0 while none, e.g. before the first join or between revocation and assignment).
  std::function<void(std::size_t)> on_assigned{};
  /// If set, called after each batch the handler applied (the consumer made progress).
  std::function<void()> on_progress{};
  /// If set, called after each failed attempt at a batch (it is rewound and retried after a
  /// backoff), with the batch's first message and the error.
  std::function<void(const InMessage& first, const std::string& error)> on_failure{};
};

using BatchHandler = std::function<void(const std::vector<InMessage>&)>;

/// Consumer-group member with manual commits: a batch's offsets are committed only after the
/// handler returned without throwing. On a throw the batch is rewound and delivered again.
class Consumer {
 public:
  explicit Consumer(const ConsumerOptions& options);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  /// Up to max_batch messages: waits up to poll_wait for the first, then takes what is ready.
  std::vector<InMessage> Poll();
  /// Commits (synchronously) the offset after the last message of each partition in `batch`.
  void Commit(const std::vector<InMessage>& batch);
  /// Seeks each partition in `batch` back to its first message there.
  void Rewind(const std::vector<InMessage>& batch);
  /// Poll, handle, commit until `stop` is set. Handler failures rewind and back off.
  void Run(const BatchHandler& handler, const std::atomic<bool>& stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saga::kafka
