#pragma once

// product-stock's repository: the only code of the service that touches the database API. Its SQL
// is in sql.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/stock/stock_rules.hpp"

namespace saga::stock::store {

struct ProductRow {
  std::int64_t id = 0;
  std::string name;
  std::int64_t price = 0;
  std::int64_t stock = 0;
};

struct TopProductRow {
  std::int64_t product_id = 0;
  std::string name;
  std::int64_t quantity = 0;
};

/// A batch's state: its products, locked in ascending id order (one locking read), then the orders
/// that reserved already or are aborted, and the reservations its failed payments and aborts still
/// hold (locked).
StockState Load(db::Transaction& tx, const std::vector<StockEvent>& events);
/// Each changed product once, the new reservations in one statement, the released ones marked.
void Save(db::Transaction& tx, const StockDecision& decision);

std::vector<ProductRow> ListProducts(db::Transaction& tx);
std::optional<ProductRow> GetProduct(db::Transaction& tx, std::int64_t id);
void SetStock(db::Transaction& tx, std::int64_t id, std::int64_t stock);
/// Best sellers of the last `days` days by quantity still reserved.
std::vector<TopProductRow> TopProducts(db::Transaction& tx, int days, int limit);

}  // namespace saga::stock::store
