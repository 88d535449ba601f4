#pragma once

// The order saga, declared once: every event type with its topic, producer, consumers and
// payload contract, and every final outcome with the steps it requires and its compensation.
// Subscriptions, broker topics, consumer-side payload checks, the proto-json event schemas and the
// flow picture in docs/architecture.md come from here or are checked against it
// (docs/adr/0003-the-saga-declared-once.md).

#include <cstdint>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace saga::contracts {

struct Envelope;

/// docs/adr/0013-a-money-limit-of-ten-to-the-fifteen.md
/// The most money (in won) any price, total, debit or balance may be: 10^15. Every sum and
/// product of money is checked against it (AddAmounts, MulAmount), so nothing wraps; an order
/// whose total is larger is cancelled with AMOUNT_OUT_OF_RANGE, and a charge that would take a
/// balance past it is refused.
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;
/// The most units of one product in one order.
inline constexpr std::int64_t kMaxQuantity = 10000;

/// docs/adr/0017-the-order-service-owns-the-deadline.md
/// How long a saga may stay open (ms) before it is aborted: every outcome must be reached by
/// then. SAGA_DEADLINE_MS overrides it (tests use a few seconds).
inline constexpr std::int64_t kDefaultDeadlineMs = 30'000;

/// a + b, or nothing if the sum is past kMaxAmount (a and b in 0..kMaxAmount).
std::optional<std::int64_t> AddAmounts(std::int64_t a, std::int64_t b);
/// unit * quantity, or nothing if the product is past kMaxAmount (both non-negative).
std::optional<std::int64_t> MulAmount(std::int64_t unit, std::int64_t quantity);

/// The services that take part in the saga.
enum class Participant { kOrder, kProductStock, kPayment, kCompletion };

/// "order", "product-stock", "payment", "completion": the service's name and consumer group.
std::string_view Name(Participant p);

/// One field of a payload: the subset of JSON Schema the saga's payloads need.
struct Field {
  enum class Kind {
    kInteger,  ///< a JSON integer in [min, max]
    kString,   ///< a string of min..max characters
    kUuid,     ///< a lowercase canonical UUID string
    kEnum,     ///< one of `values`
    kObjects,  ///< an array of min..max objects, each with `fields`
  };
  static constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();

  std::string_view name;
  Kind kind = Kind::kInteger;
  bool required = true;
  std::int64_t min = 0;
  std::int64_t max = kNoMax;
  std::span<const std::string_view> values = {};
  std::span<const Field> fields = {};
};

/// An event type. Its name is also its topic; every topic has a dead-letter topic <name>.dlq.
struct EventType {
  std::string_view name;
  Participant producer;
  std::span<const Participant> consumers;
  std::span<const Field> payload;
  std::string_view meaning;  ///< one line: what has happened
  /// A rule between fields that the field contracts cannot say, checked after them (or none),
  /// and what it says, for people and the schema's description.
  void (*rule)(const nlohmann::json& payload) = nullptr;
  std::string_view rule_text = {};
};

/// A final status of the saga. It is reached once every step in `needs` (its path, in causal
/// order) is recorded, so a final saga's timeline is complete; its reason is the `reason` field
/// of `reason_from` (when set). `compensation` is the step that undoes an earlier one.
struct Outcome {
  std::string_view status = {};  ///< COMPLETED or CANCELLED
  std::span<const std::string_view> needs = {};
  std::string_view reason_from = {};
  std::string_view compensation = {};
  std::string_view announced_by = {};  ///< the event completion publishes when it is reached
  /// A step whose record rules this outcome out (or none): once the abort is recorded, only the
  /// outcome that needs it can be reached.
  std::string_view unless = {};
};

/// A whole saga declaration. Saga() is the product's; tests build their own.
struct Declaration {
  std::span<const EventType> events;
  std::span<const Outcome> outcomes;

  /// The event type of that name, or nullptr.
  const EventType* Find(std::string_view name) const;
  /// The event type of that name; throws ContractError for an undeclared one.
  const EventType& Get(std::string_view name) const;
  /// Every event type's topic, in declaration order.
  std::vector<std::string> Topics() const;
  /// Every topic and its <topic>.dlq: what a broker must have.
  std::vector<std::string> BrokerTopics() const;
  /// The topics `p` consumes, in declaration order.
  std::vector<std::string> ConsumedBy(Participant p) const;
  /// The reasons a saga can be cancelled with (the enum values of the reason_from fields).
  std::vector<std::string> Reasons() const;
};

/// The order saga.
const Declaration& Saga();

/// Checks `payload` against the event type's contract: an object with every required field, no
/// undeclared field, each of its kind and range, and the type's rule. Throws ContractError
/// naming the event type and the field.
void CheckPayload(const EventType& type, const nlohmann::json& payload);

/// What a producer checks before an event enters its outbox (outbox::AppendMany): the envelope's
/// fields and the payload against the saga's declaration, so that no service publishes an event
/// that breaks the contract. Throws ContractError("refusing to publish ...").
void CheckOutgoing(const Envelope& event);

/// The payload contract as a JSON Schema object (what proto-json/events/<name>.schema.json holds,
/// without its $schema, $id and title).
nlohmann::json PayloadSchema(const EventType& type);

/// The declaration as JSON: events (name, producer, consumers, schema, meaning) and outcomes.
/// tools/saga-declaration prints it for scripts and tests in other languages.
nlohmann::json ToJson(const Declaration& d);

/// The flow picture of docs/architecture.md, made from the declaration.
std::string FlowPicture(const Declaration& d);

}  // namespace saga::contracts
