#include "saga/stock/stock_rules.hpp"

#include <algorithm>
#include <optional>

namespace saga::stock {

using messaging::Incoming;
using messaging::Overloaded;

StockKeys KeysOf(const std::vector<StockEvent>& events) {
  StockKeys keys;
  for (const auto& e : events) {
    std::visit(Overloaded{
                   [&](const Incoming<contracts::OrderCreated>& c) {
                     keys.ordered.push_back(c.OrderId());
                   },
                   [&](const Incoming<contracts::PaymentFailed>& f) {
                     keys.failed.push_back(f.OrderId());
                   },
                   [&](const Incoming<contracts::SagaAborted>& a) {
                     keys.aborted.push_back(a.OrderId());
                   },
               },
               e);
  }
  return keys;
}

std::vector<std::int64_t> ProductsOf(
    const std::vector<StockEvent>& events,
    const std::map<std::string, std::vector<contracts::OrderItem>>& held) {
  std::set<std::int64_t> ids;
  for (const auto& e : events) {
    if (const auto* c = std::get_if<Incoming<contracts::OrderCreated>>(&e)) {
      for (const auto& item : c->payload.items) ids.insert(item.product_id.value);
    }
    if (const auto* a = std::get_if<Incoming<contracts::SagaAborted>>(&e)) {
      for (const auto& item : a->payload.items) ids.insert(item.product_id.value);
    }
  }
  for (const auto& [_, items] : held) {
    for (const auto& item : items) ids.insert(item.product_id.value);
  }
  return {ids.begin(), ids.end()};
}

namespace {

// One order: every item reserved against `products`, or the reason none is.
void Reserve(StockState& s, StockDecision& d, const Incoming<contracts::OrderCreated>& c) {
  if (s.aborted.contains(c.OrderId())) return;  // aborted: too late to reserve
  if (!s.reserved.insert(c.OrderId()).second) return;  // handled already
  auto items = c.payload.items;
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.product_id < b.product_id; });
  contracts::StockReserved reserved{c.payload.user_id, {}, 0, c.payload.coupon_id};
  for (const auto& item : items) {
    const auto it = s.products.find(item.product_id.value);
    // The total is checked as it is summed: one that cannot be represented cancels the order.
    std::optional<std::int64_t> total;
    if (it != s.products.end()) {
      const auto line = contracts::MulAmount(it->second.price, item.quantity);
      if (line) total = contracts::AddAmounts(reserved.total_amount, *line);
    }
    const char* reason = it == s.products.end()             ? contracts::reasons::kUnknownProduct
                         : it->second.stock < item.quantity ? contracts::reasons::kOutOfStock
                         : !total                           ? contracts::reasons::kAmountOutOfRange
                                                            : nullptr;
    if (reason != nullptr) {
      s.reserved.erase(c.OrderId());  // nothing was reserved
      d.events.push_back(
          messaging::EmitOf(*c.event, contracts::StockRejected{reason, item.product_id}));
      return;
    }
    reserved.items.push_back({item.product_id, item.quantity, it->second.price});
    reserved.total_amount = *total;
  }
  auto& held = s.held[c.OrderId()];  // for an abort later in the batch
  for (const auto& item : reserved.items) {
    auto& p = s.products.at(item.product_id.value);
    p.stock -= item.quantity;
    d.stocks[item.product_id.value] = p.stock;
    d.reservations.push_back({c.OrderId(), item});
    held.push_back({item.product_id, item.quantity});
  }
  d.events.push_back(messaging::EmitOf(*c.event, reserved));
}

// What the order still holds, given back (nothing if it holds nothing).
std::vector<contracts::OrderItem> GiveBack(StockState& s, StockDecision& d, const std::string& order_id) {
  const auto it = s.held.find(order_id);
  if (it == s.held.end()) return {};  // nothing reserved, or given back already
  auto items = std::move(it->second);
  s.held.erase(it);
  for (const auto& item : items) {
    const auto p = s.products.find(item.product_id.value);
    if (p == s.products.end()) {  // only a forged abort names other products than the order's
      throw contracts::ContractError("the reservation of order " + order_id + " holds product " +
                                     std::to_string(item.product_id.value) + ", which its event does not name");
    }
    p->second.stock += item.quantity;
    d.stocks[item.product_id.value] = p->second.stock;
  }
  d.released.push_back(order_id);
  return items;
}

// The compensation: what the order still holds, given back.
void Release(StockState& s, StockDecision& d, const Incoming<contracts::PaymentFailed>& f) {
  auto items = GiveBack(s, d, f.OrderId());
  if (items.empty()) return;
  d.events.push_back(messaging::EmitOf(*f.event, contracts::StockReleased{std::move(items)}));
}

// docs/adr/0017: the abort, confirmed each time it is asked.
void Abort(StockState& s, StockDecision& d, const Incoming<contracts::SagaAborted>& a) {
  auto items = GiveBack(s, d, a.OrderId());
  if (s.aborted.insert(a.OrderId()).second) d.aborted.push_back(a.OrderId());
  d.events.push_back(messaging::EmitOf(*a.event, contracts::StockAborted{std::move(items)}));
}

}  // namespace

StockDecision Decide(StockState state, const std::vector<StockEvent>& events) {
  StockDecision d;
  for (const auto& e : events) {
    std::visit(Overloaded{
                   [&](const Incoming<contracts::OrderCreated>& c) { Reserve(state, d, c); },
                   [&](const Incoming<contracts::PaymentFailed>& f) { Release(state, d, f); },
                   [&](const Incoming<contracts::SagaAborted>& a) { Abort(state, d, a); },
               },
               e);
  }
  return d;
}

}  // namespace saga::stock
