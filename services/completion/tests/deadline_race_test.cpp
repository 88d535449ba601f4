// docs/adr/0017: the deadline racing the saga, over every interleaving. One order runs through the
// real decision functions of product-stock, payment and completion (Decide, no I/O), each on an
// in-memory copy of what its database would hold, with its saga.expired in flight from the start.
// Every order in which the messages can be delivered is tried (events of different topics reach a
// consumer in any order), and each run must end with exactly one final status that the stock, the
// balance and the order service all agree with.

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "saga/completion/completion_rules.hpp"
#include "saga/contracts/saga.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/payment/payment_rules.hpp"
#include "saga/stock/stock_rules.hpp"

using namespace saga::contracts;
using saga::messaging::Emit;
using saga::messaging::Event;
using saga::messaging::Incoming;

namespace {

constexpr std::int64_t kStock = 10;
constexpr std::int64_t kPrice = 100;
constexpr std::int64_t kUser = 7;

struct Reservation {
  std::int64_t product = 0;
  int quantity = 0;
  bool held = true;
};

// What the four databases hold, and the messages in flight (each to one consumer).
struct World {
  // product-stock
  std::int64_t stock = kStock;
  std::map<std::string, std::vector<Reservation>> reservations;
  std::set<std::string> stock_aborted;
  // payment
  std::int64_t balance = 0;
  std::map<std::string, saga::payment::PaymentRecord> payments;
  std::set<std::string> payment_aborted;
  // completion
  std::string status = "PENDING";
  std::optional<std::string> reason;
  bool aborted = false;
  int finishes = 0;
  std::vector<saga::completion::Step> steps;
  // order
  std::string order_status = "PENDING";
  std::optional<std::string> order_reason;

  std::vector<std::pair<Participant, Event>> in_flight;
};

void Send(World& w, const Event& cause, const Emit& e) {
  auto env = Envelope::New(e.type, cause.envelope.order_id, e.payload, cause.envelope.event_id);
  if (!e.event_id.empty()) env.event_id = e.event_id;
  for (const auto c : Saga().Get(e.type).consumers) w.in_flight.push_back({c, Event{env, ""}});
}

template <typename T>
Incoming<T> In(const Event& e) {
  return {&e, Decode<T>(e.envelope)};
}

void ToStock(World& w, const Event& e) {
  using namespace saga::stock;
  const auto& type = e.envelope.event_type;
  const std::vector<StockEvent> batch{
      type == OrderCreated::kType    ? StockEvent(In<OrderCreated>(e))
      : type == PaymentFailed::kType ? StockEvent(In<PaymentFailed>(e))
                                     : StockEvent(In<SagaAborted>(e))};
  StockState s;
  s.products[1] = {kPrice, w.stock};
  for (const auto& [order, rows] : w.reservations) {
    s.reserved.insert(order);
    for (const auto& r : rows) {
      if (r.held) s.held[order].push_back({ProductId(r.product), r.quantity});
    }
  }
  s.aborted = w.stock_aborted;
  const auto d = Decide(s, batch);
  if (d.stocks.contains(1)) w.stock = d.stocks.at(1);
  for (const auto& r : d.reservations) {
    w.reservations[r.order_id].push_back({r.item.product_id.value, r.item.quantity, true});
  }
  for (const auto& order : d.released) {
    for (auto& r : w.reservations[order]) r.held = false;
  }
  w.stock_aborted.insert(d.aborted.begin(), d.aborted.end());
  for (const auto& out : d.events) Send(w, e, out);
}

void ToPayment(World& w, const Event& e) {
  using namespace saga::payment;
  const std::vector<PaymentEvent> batch{e.envelope.event_type == StockReserved::kType
                                            ? PaymentEvent(In<StockReserved>(e))
                                            : PaymentEvent(In<SagaAborted>(e))};
  PaymentState s;
  s.balances[kUser] = w.balance;
  for (const auto& [order, pay] : w.payments) s.paid.insert(order);
  s.payments = w.payments;
  s.aborted = w.payment_aborted;
  const auto d = Decide(s, batch, NewUuid);
  if (d.balances.contains(kUser)) w.balance = d.balances.at(kUser);
  for (const auto& p : d.payments) {
    w.payments[p.order_id] = {p.payment_id, p.user_id, p.amount, p.reason ? "FAILED" : "COMPLETED", p.coupon_id};
  }
  for (const auto& order : d.refunds) w.payments.at(order).status = "REFUNDED";
  w.payment_aborted.insert(d.aborted.begin(), d.aborted.end());
  for (const auto& out : d.events) Send(w, e, out);
}

saga::completion::CompletionEvent ForCompletion(const Event& e) {
  using namespace saga::completion;
  const auto& type = e.envelope.event_type;
  return [&]() -> CompletionEvent {
    if (type == OrderCreated::kType) return In<OrderCreated>(e);
    if (type == StockReserved::kType) return In<StockReserved>(e);
    if (type == StockRejected::kType) return In<StockRejected>(e);
    if (type == PaymentCompleted::kType) return In<PaymentCompleted>(e);
    if (type == PaymentFailed::kType) return In<PaymentFailed>(e);
    if (type == StockReleased::kType) return In<StockReleased>(e);
    if (type == SagaExpired::kType) return In<SagaExpired>(e);
    if (type == StockAborted::kType) return In<StockAborted>(e);
    return In<PaymentRefunded>(e);
  }();
}

// One consumer batch of completion's: `events` in their order.
void ToCompletion(World& w, const std::vector<Event>& events) {
  using namespace saga::completion;
  std::vector<CompletionEvent> batch;
  for (const auto& e : events) batch.push_back(ForCompletion(e));
  const auto steps = StepsOf(batch);
  const auto& e = events.front();
  // As completion's Load reads it: the saga row, and its stored steps only where HistoryNeeded.
  CompletionState s;
  const SagaRow row{w.status, 0, w.reason, w.aborted};
  s.sagas[e.envelope.order_id] = row;
  if (HistoryNeeded(row, ByOrder(steps).at(e.envelope.order_id))) s.history[e.envelope.order_id] = w.steps;
  const auto d = Decide(s, steps, NowIso8601(), NewUuid);
  if (!d.aborted.empty()) w.aborted = true;
  for (const auto& step : d.steps) w.steps.push_back({step.type, step.reason, step.money});
  for (const auto& f : d.finishes) {
    w.status = f.status;
    w.reason = f.reason;
    ++w.finishes;
  }
  for (const auto& out : d.events) Send(w, *out.cause, out);
}

void ToOrder(World& w, const Event& e) {
  if (w.order_status != "PENDING") return;  // FinishOrders changes only a PENDING order
  if (e.envelope.event_type == OrderCompleted::kType) {
    w.order_status = "COMPLETED";
  } else {
    w.order_status = "CANCELLED";
    w.order_reason = Decode<OrderCancelled>(e.envelope).reason;
  }
}

void Deliver(World& w, std::size_t i) {
  const auto [to, event] = w.in_flight[i];
  w.in_flight.erase(w.in_flight.begin() + static_cast<std::ptrdiff_t>(i));
  switch (to) {
    case Participant::kProductStock: return ToStock(w, event);
    case Participant::kPayment: return ToPayment(w, event);
    case Participant::kCompletion: return ToCompletion(w, {event});
    case Participant::kOrder: return ToOrder(w, event);
  }
}

struct Tally {
  std::size_t runs = 0;
  std::map<std::string, std::size_t> ends;  // "COMPLETED", "CANCELLED TIMED_OUT", ...
};

void CheckEnd(const World& w, std::int64_t quantity, std::int64_t start_balance, Tally& tally) {
  INFO("status " << w.status << " " << w.reason.value_or("") << ", stock " << w.stock << ", balance "
                 << w.balance);
  ++tally.runs;
  ++tally.ends[w.status + " " + w.reason.value_or("")];
  REQUIRE(w.finishes == 1);  // final once, never PENDING
  REQUIRE(w.order_status == w.status);
  REQUIRE(w.order_reason == w.reason);
  const auto paid = std::count_if(w.payments.begin(), w.payments.end(),
                                  [](const auto& p) { return p.second.status == "COMPLETED"; });
  if (w.status == "COMPLETED") {
    REQUIRE(w.stock == kStock - quantity);
    REQUIRE(w.balance == start_balance - quantity * kPrice);
    REQUIRE(paid == 1);
  } else {
    REQUIRE(w.stock == kStock);
    REQUIRE(w.balance == start_balance);
    REQUIRE(paid == 0);
    for (const auto& [_, rows] : w.reservations) {
      for (const auto& r : rows) REQUIRE_FALSE(r.held);
    }
  }
}

// Every delivery order from `w` on (depth first); completion may also take everything it has in
// flight as one batch (as after a restart with a backlog), when that is more than one event.
void Explore(const World& w, std::int64_t quantity, std::int64_t start_balance, Tally& tally) {
  if (w.in_flight.empty()) return CheckEnd(w, quantity, start_balance, tally);
  for (std::size_t i = 0; i < w.in_flight.size(); ++i) {
    World next = w;
    Deliver(next, i);
    Explore(next, quantity, start_balance, tally);
  }
  World next = w;
  std::vector<Event> batch;
  std::erase_if(next.in_flight, [&](const auto& m) {
    if (m.first != Participant::kCompletion) return false;
    batch.push_back(m.second);
    return true;
  });
  if (batch.size() < 2) return;
  ToCompletion(next, batch);
  Explore(next, quantity, start_balance, tally);
}

// The order placed and, racing it from the start, its deadline passed at the order service.
World Placed(std::int64_t quantity, std::int64_t balance, bool stock_gets_the_order = true,
             bool completion_gets_the_order = true) {
  World w;
  w.balance = balance;
  const OrderCreated order{UserId(kUser), {{ProductId(1), static_cast<int>(quantity)}}, {}};
  const Event created{Envelope::New(OrderCreated::kType, "o", order), ""};
  if (stock_gets_the_order) w.in_flight.push_back({Participant::kProductStock, created});
  if (completion_gets_the_order) w.in_flight.push_back({Participant::kCompletion, created});
  const SagaExpired expired{order.user_id, order.items, {}, 1};
  w.in_flight.push_back({Participant::kCompletion, Event{Envelope::New(SagaExpired::kType, "o", expired), ""}});
  return w;
}

}  // namespace

TEST_CASE("The deadline racing a paid saga: exactly one of COMPLETED and TIMED_OUT, money and stock "
          "matching, in every interleaving",
          "[completion][deadline]") {
  Tally tally;
  Explore(Placed(3, 1000), 3, 1000, tally);
  INFO(tally.runs << " interleavings");
  CHECK(tally.runs > 1000);
  // Both outcomes happen: the race is real, and each side wins in some order.
  CHECK(tally.ends.at("COMPLETED ") > 0);
  CHECK(tally.ends.at("CANCELLED TIMED_OUT") > 0);
  CHECK(tally.ends.size() == 2);
}

TEST_CASE("The deadline racing a refused payment ends TIMED_OUT or INSUFFICIENT_BALANCE with the "
          "stock back, in every interleaving",
          "[completion][deadline]") {
  Tally tally;
  Explore(Placed(3, 100), 3, 100, tally);
  CHECK(tally.ends.at("CANCELLED INSUFFICIENT_BALANCE") > 0);
  CHECK(tally.ends.at("CANCELLED TIMED_OUT") > 0);
  CHECK(tally.ends.size() == 2);
}

TEST_CASE("The deadline racing a stock rejection ends TIMED_OUT or OUT_OF_STOCK, changing nothing",
          "[completion][deadline]") {
  Tally tally;
  Explore(Placed(kStock + 1, 10000), kStock + 1, 10000, tally);
  CHECK(tally.ends.at("CANCELLED OUT_OF_STOCK") > 0);
  CHECK(tally.ends.at("CANCELLED TIMED_OUT") > 0);
  CHECK(tally.ends.size() == 2);
}

TEST_CASE("A saga whose order.created product-stock never got ends TIMED_OUT, changing nothing",
          "[completion][deadline]") {
  Tally tally;
  Explore(Placed(3, 1000, false), 3, 1000, tally);
  CHECK(tally.ends.size() == 1);
  CHECK(tally.ends.at("CANCELLED TIMED_OUT") == tally.runs);
}

TEST_CASE("A saga whose order.created was lost on the way to everyone ends TIMED_OUT from saga.expired alone",
          "[completion][deadline]") {
  // As when a broker restarts with the order's first event in it: only the order service knows
  // the order, and its saga.expired carries what the abort needs.
  Tally tally;
  Explore(Placed(3, 1000, false, false), 3, 1000, tally);
  CHECK(tally.ends.size() == 1);
  CHECK(tally.ends.at("CANCELLED TIMED_OUT") == tally.runs);
}
