#pragma once

// Reads DLQ topics without a trace: partitions are assigned (no group membership) from their low
// to their high watermark as they are when the read starts, and no offset is ever committed.

#include <chrono>
#include <string>
#include <vector>

#include "saga/kafka/message.hpp"

namespace saga::admin {

struct TopicsRead {
  /// By topic (in the order asked), partition and offset.
  std::vector<kafka::InMessage> messages;
  /// Topics asked for that the broker does not have.
  std::vector<std::string> missing;
};

/// Every message of `topics` up to their ends at the time of the call. Throws kafka::KafkaError
/// when the broker does not answer or the read is not done within `timeout`.
TopicsRead ReadTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                      std::chrono::milliseconds timeout);

}  // namespace saga::admin
