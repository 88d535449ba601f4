#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace saga::contracts {

/// Thrown when a message does not match its contract (a DLQ case for consumers).
class ContractError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The JSON value of every Kafka message (see proto-json/envelope.schema.json).
struct Envelope {
  /// orderId's most characters (the order id columns are VARCHAR(64)).
  static constexpr std::size_t kMaxOrderIdLength = 64;
  std::string event_id;
  std::string event_type;
  int schema_version = 1;
  std::string order_id;
  std::string occurred_at;
  std::optional<std::string> causation_id;
  nlohmann::json payload = nlohmann::json::object();

  /// A new envelope with a fresh eventId and the current time.
  static Envelope New(std::string event_type, std::string order_id, nlohmann::json payload,
                      std::optional<std::string> causation_id = std::nullopt);
  /// Parses (ParseStrict: no repeated key) and checks every field: eventId and causationId
  /// lowercase UUIDs, orderId 1..64 characters, occurredAt a real instant, no undeclared field.
  /// Throws ContractError naming what is wrong. The payload is checked by Decode.
  static Envelope Parse(std::string_view json_text);
  /// The checks of the fields beside the payload that Parse makes (no repeated or undeclared
  /// key aside); throws ContractError.
  void CheckFields() const;
  std::string Serialize() const;
};

void to_json(nlohmann::json& j, const Envelope& e);
void from_json(const nlohmann::json& j, Envelope& e);

}  // namespace saga::contracts
