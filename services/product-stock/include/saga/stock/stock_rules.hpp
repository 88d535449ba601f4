#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "saga/contracts/saga_events.hpp"
#include "saga/messaging/handler.hpp"

namespace saga::stock {

/// An event product-stock consumes.
using StockEvent = std::variant<messaging::Incoming<contracts::OrderCreated>,
                                messaging::Incoming<contracts::PaymentFailed>,
                                messaging::Incoming<contracts::SagaAborted>>;

struct Product {
  std::int64_t price = 0;
  std::int64_t stock = 0;
  bool operator==(const Product&) const = default;
};

/// What the database holds for a batch, read with its product rows locked.
struct StockState {
  std::set<std::string> reserved;  ///< orders of the batch that reserved already
  std::set<std::string> aborted;   ///< orders of the batch aborted already (docs/adr/0017)
  std::map<std::string, std::vector<contracts::OrderItem>> held;  ///< reservations still held
  std::map<std::int64_t, Product> products;  ///< the batch's products that exist, by id
};

struct Reservation {
  std::string order_id;
  contracts::PricedItem item;
  bool operator==(const Reservation&) const = default;
};

/// What a batch changes: each changed product's new stock, the new reservations, the orders
/// whose reservations are given back, the orders newly aborted, and the events to publish.
struct StockDecision {
  std::map<std::int64_t, std::int64_t> stocks;
  std::vector<Reservation> reservations;
  std::vector<std::string> released;
  std::vector<std::string> aborted;
  std::vector<messaging::Emit> events;
};

/// The orders of the batch's order.created, payment.failed and saga.aborted events: the keys of
/// its state.
struct StockKeys {
  std::vector<std::string> ordered;
  std::vector<std::string> failed;
  std::vector<std::string> aborted;
};
StockKeys KeysOf(const std::vector<StockEvent>& events);

/// The products the batch touches (ordered, held and aborted orders' ones), ascending: the lock
/// order.
std::vector<std::int64_t> ProductsOf(
    const std::vector<StockEvent>& events,
    const std::map<std::string, std::vector<contracts::OrderItem>>& held);

/// The events applied in order to the state; no I/O.
/// order.created: reserve every item or none (never below zero) -> stock.reserved with prices and
/// total, or stock.rejected (UNKNOWN_PRODUCT or OUT_OF_STOCK, naming the product); an order that
/// reserved already is skipped. payment.failed: give back exactly what the order still holds ->
/// stock.released; nothing held, nothing to do.
/// docs/adr/0017. saga.aborted: give back what the order holds (reserved before, or earlier in the
/// batch) and mark it aborted -> stock.aborted with what was given back (maybe nothing), every
/// time it is asked; an aborted order's order.created reserves nothing and emits nothing.
StockDecision Decide(StockState state, const std::vector<StockEvent>& events);

}  // namespace saga::stock
