#pragma once

// order's repository: the only code of the service that touches the database API. Its SQL is in
// sql.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "saga/contracts/order_events.hpp"
#include "saga/db/pool.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order::store {

struct KeyRow {
  std::string key;
  std::string request;  ///< the canonical request body it is used with
  std::string order_id;
};

/// Inserts the keys not taken yet; a key another transaction holds makes this wait for it.
/// Returns how many were inserted (a taken key keeps its row).
std::size_t InsertKeys(db::Transaction& tx, const std::vector<KeyRow>& rows);
/// The stored (request, order id) of each key, by key.
std::unordered_map<std::string, std::pair<std::string, std::string>> ReadKeys(
    db::Transaction& tx, const std::vector<std::string>& keys);

struct OrderRow {
  std::string order_id;
  const PlaceOrderCommand* cmd;
  std::string traceparent;
};
/// The orders and their items, PENDING, each with its saga's deadline `deadline_ms` from now.
void InsertOrders(db::Transaction& tx, const std::vector<OrderRow>& orders, std::int64_t deadline_ms);

/// An order past its deadline, as placed, and how many times it has expired before.
struct ExpiredOrder {
  std::string order_id;
  contracts::OrderCreated order;
  std::string traceparent;
  std::int64_t expiries = 0;
};
/// docs/adr/0017: up to `limit` PENDING orders whose deadline has passed, oldest deadline first,
/// locked (rows another scan holds are skipped), with their items.
std::vector<ExpiredOrder> LockExpired(db::Transaction& tx, int limit);
/// Gives up to `limit` PENDING orders without a deadline one, `deadline_ms` from their creation;
/// returns how many.
std::size_t FillDeadlines(db::Transaction& tx, std::int64_t deadline_ms, int limit);
/// Moves the orders' deadlines on from now, `deadline_ms` doubled for each expiry before (at most
/// 32 times), and counts an expiry for each.
void PostponeExpired(db::Transaction& tx, const std::vector<ExpiredOrder>& orders, std::int64_t deadline_ms);

std::optional<OrderView> FindOrder(db::Transaction& tx, const std::string& order_id);
/// Sets the final statuses in one statement (only PENDING orders change; order ids distinct).
/// Returns how many orders changed.
std::size_t FinishOrders(db::Transaction& tx, const std::vector<FinalStatus>& statuses);

}  // namespace saga::order::store
