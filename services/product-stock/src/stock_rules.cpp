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
  }
  for (const auto& [_, items] : held) {
    for (const auto& item : items) ids.insert(item.product_id.value);
  }
  return {ids.begin(), ids.end()};
}

namespace {

// One order: every item reserved against `products`, or the reason none is.
void Reserve(StockState& s, StockDecision& d, const Incoming<contracts::OrderCreated>& c) {
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
  for (const auto& item : reserved.items) {
    auto& p = s.products.at(item.product_id.value);
    p.stock -= item.quantity;
    d.stocks[item.product_id.value] = p.stock;
    d.reservations.push_back({c.OrderId(), item});
  }
  d.events.push_back(messaging::EmitOf(*c.event, reserved));
}

// The compensation: what the order still holds, given back.
void Release(StockState& s, StockDecision& d, const Incoming<contracts::PaymentFailed>& f) {
  const auto it = s.held.find(f.OrderId());
  if (it == s.held.end()) return;  // nothing reserved, or given back already
  for (const auto& item : it->second) {
    auto& p = s.products.at(item.product_id.value);
    p.stock += item.quantity;
    d.stocks[item.product_id.value] = p.stock;
  }
  d.events.push_back(messaging::EmitOf(*f.event, contracts::StockReleased{it->second}));
  d.released.push_back(it->first);
  s.held.erase(it);
}

}  // namespace

StockDecision Decide(StockState state, const std::vector<StockEvent>& events) {
  StockDecision d;
  for (const auto& e : events) {
    std::visit(Overloaded{
                   [&](const Incoming<contracts::OrderCreated>& c) { Reserve(state, d, c); },
                   [&](const Incoming<contracts::PaymentFailed>& f) { Release(state, d, f); },
               },
               e);
  }
  return d;
}

}  // namespace saga::stock
