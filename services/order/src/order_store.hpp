#pragma once

// order's repository: the only code of the service that touches the database API. Its SQL is in
// sql.hpp.

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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
/// The orders and their items, PENDING.
void InsertOrders(db::Transaction& tx, const std::vector<OrderRow>& orders);

std::optional<OrderView> FindOrder(db::Transaction& tx, const std::string& order_id);
/// Sets the final statuses in one statement (only PENDING orders change; order ids distinct).
/// Returns how many orders changed.
std::size_t FinishOrders(db::Transaction& tx, const std::vector<FinalStatus>& statuses);

}  // namespace saga::order::store
