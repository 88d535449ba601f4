#pragma once

// Dead letters as saga-admin sees them: what a DLQ message's headers and value say, which of them
// a redrive republishes and in what order, and the message it republishes. No I/O here.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "saga/kafka/message.hpp"

namespace saga::admin {

/// The headers a consumer adds when it dead-letters a message (messaging::EventProcessor).
inline constexpr std::string_view kDlqHeaders[] = {"error", "source-topic", "source-partition", "source-offset",
                                                   "consumer"};
/// The header of a republished message: the DLQ message it came from and when it was redriven.
inline constexpr std::string_view kRedrivenHeader = "redriven";

/// "<topic>.dlq"; a name that already ends in .dlq is returned as it is.
std::string DlqTopic(std::string_view topic);

/// The envelope fields a listing shows, from a value that may not be JSON at all (a dead letter
/// is often exactly that). A field that is missing or not a string stays empty.
struct EnvelopeFields {
  bool is_json = false;  ///< the value is a JSON object
  std::string event_id;
  std::string event_type;
  std::string order_id;
};
EnvelopeFields ParseEnvelopeFields(std::string_view value);

/// One message of a DLQ topic with what its headers and value say.
struct DeadLetter {
  kafka::InMessage message;  ///< as read from the DLQ topic
  /// The source-topic header, else the DLQ topic's name without .dlq.
  std::string source_topic;
  std::int32_t source_partition = -1;  ///< -1: header missing or not a number
  std::int64_t source_offset = -1;     ///< -1: header missing or not a number
  std::string consumer;
  std::string error;
  /// The redriven header of an earlier redrive (the event failed again), or empty.
  std::string redriven;
  EnvelopeFields envelope;

  /// "<dlq topic>:<partition>:<offset>".
  std::string Position() const;
  /// "<source topic>:<partition>:<offset>", with "?" for what is unknown.
  std::string SourcePosition() const;
};
DeadLetter Describe(kafka::InMessage message);

/// Which dead letters a command takes; every set field must match.
struct Filter {
  std::optional<std::string> dlq_topic{};  ///< the DLQ topic's full name
  std::optional<std::string> key{};        ///< the message key (the orderId)
  std::optional<std::string> event_id{};   ///< the envelope's eventId
  std::optional<std::int32_t> partition{};  ///< of the DLQ message
  std::optional<std::int64_t> offset{};     ///< of the DLQ message
};
bool Matches(const Filter& filter, const DeadLetter& d);

/// What a redrive republishes, as indices into the dead letters it was made from.
struct RedrivePlan {
  /// In sending order: key by key (keys sorted), and for one key the source topics in the saga's
  /// order (`topic_order`; others after them, by name), each in source (partition, offset) order.
  std::vector<std::size_t> send;
  /// (left out, the one it repeats): the same source topic and eventId as one already chosen
  /// (several consumers dead-lettered it, or it failed again after a redrive), or the same source
  /// position when it has no eventId. Its consumers' inbox would absorb it anyway.
  std::vector<std::pair<std::size_t, std::size_t>> duplicates;
};
RedrivePlan PlanRedrive(const std::vector<DeadLetter>& letters, const std::vector<std::string>& topic_order);

/// The message a redrive publishes for `d`: to its source topic with the same key, value and
/// headers, less the DLQ's own (and an earlier redriven header), plus
/// `redriven: <dlq topic>:<partition>:<offset> <at>`. The value keeps its eventId, so a consumer
/// that applied the event before takes the repeat as a duplicate.
kafka::OutMessage BuildRedrive(const DeadLetter& d, std::string_view at);

/// One line of `dlq list`: position, key, event type and id, source, consumer and error.
std::string ListLine(const DeadLetter& d);
/// The same as a JSON object (`dlq list --json`).
nlohmann::json ListJson(const DeadLetter& d);
/// `dlq show`: the fields, every header and the value, pretty-printed when it is JSON.
std::string ShowText(const DeadLetter& d);
/// `dlq show --json`: ListJson with every header and the value (parsed when it is JSON).
nlohmann::json ShowJson(const DeadLetter& d);

}  // namespace saga::admin
