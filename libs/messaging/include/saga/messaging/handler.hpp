#pragma once

// A service's reaction to the events it consumes. A handler names the payload types it handles
// (Handles<OrderCreated, PaymentFailed>): that list is its subscription, and each event reaches
// it checked against its declared contract and parsed into that type. It returns what it emits;
// the processor writes those events to the outbox in the batch's transaction.

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/db/pool.hpp"

namespace saga::messaging {

/// A consumed event: its envelope and the traceparent to give the events it causes.
struct Event {
  contracts::Envelope envelope;
  std::string traceparent;
};

/// A consumed event of payload type P, checked against its contract and parsed.
template <typename P>
struct Incoming {
  const Event* event;
  P payload;

  const std::string& OrderId() const { return event->envelope.order_id; }
};

/// An event to publish because of a consumed one (its causation and trace continue from it).
/// Its id and time are made when it is written, unless the handler chose them (to record the
/// event elsewhere too).
struct Emit {
  const Event* cause;
  std::string type;
  nlohmann::json payload;
  std::string event_id = {};
  std::string occurred_at = {};

  bool operator==(const Emit&) const = default;
};

/// `payload` (an event payload type) as an event caused by `cause`.
template <typename P>
Emit EmitOf(const Event& cause, const P& payload) {
  return {&cause, P::kType, payload};
}

/// What a batch produced: events for the outbox, written in the batch's transaction, and
/// actions to run once that transaction has committed.
struct Output {
  std::vector<Emit> events;
  std::vector<std::function<void()>> after_commit;
};

/// What EventProcessor drives: the topics to subscribe to and the handling of a batch.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  /// The topics this handler consumes: its subscription.
  virtual std::vector<std::string> Topics() const = 0;
  /// Applies the batch's new events, in order, through `tx`. Throws contracts::ContractError if
  /// an event can never be processed (it goes to the DLQ); other errors roll the batch back.
  virtual Output HandleBatch(const std::vector<const Event*>& events, db::Transaction& tx) = 0;
};

/// The base of a handler of the payload types Ps (each names its event type in kType).
template <typename... Ps>
class Handles : public EventHandler {
 public:
  /// One event of the batch, typed.
  using Typed = std::variant<Incoming<Ps>...>;

  std::vector<std::string> Topics() const final { return {std::string(Ps::kType)...}; }

  Output HandleBatch(const std::vector<const Event*>& events, db::Transaction& tx) final {
    // Every event is checked and parsed before the handler sees any: a bad one fails the batch
    // before any effect.
    std::vector<Typed> typed;
    typed.reserve(events.size());
    for (const auto* e : events) typed.push_back(Parse(*e));
    return Handle(typed, tx);
  }

  /// One event checked against its declared contract and parsed into the payload type its event
  /// type names. Throws contracts::ContractError for a type not consumed here or a bad payload.
  static Typed Parse(const Event& e) {
    using Parser = Typed (*)(const Event&);
    static const std::array<std::pair<std::string_view, Parser>, sizeof...(Ps)> kParsers{
        {{Ps::kType, [](const Event& ev) -> Typed {
            return Incoming<Ps>{&ev, contracts::Decode<Ps>(ev.envelope)};
          }}...}};
    for (const auto& [type, parse] : kParsers) {
      if (type == e.envelope.event_type) return parse(e);
    }
    throw contracts::ContractError("event type '" + e.envelope.event_type +
                                   "' is not consumed here");
  }

 protected:
  /// load -> decide -> persist for the batch's new events (in order).
  virtual Output Handle(const std::vector<Typed>& events, db::Transaction& tx) = 0;
};

/// std::visit with one lambda per alternative: Visit(typed, [](const Incoming<A>&) {...}, ...).
template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace saga::messaging
