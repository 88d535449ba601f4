#include "order_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <bit>
#include <map>
#include <memory>

#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::order::store {

std::size_t InsertKeys(db::Transaction& tx, const std::vector<KeyRow>& rows) {
  return static_cast<std::size_t>(db::ExecuteRows(
      tx.Conn(), sql::kInsertIdempotencyKeysHead, sql::kInsertIdempotencyKeysRow, rows.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, rows[i].key);
        st.setString(p + 1, rows[i].request);
        st.setString(p + 2, rows[i].order_id);
      },
      sql::kInsertIdempotencyKeysTail));
}

std::unordered_map<std::string, std::pair<std::string, std::string>> ReadKeys(
    db::Transaction& tx, const std::vector<std::string>& keys) {
  std::unordered_map<std::string, std::pair<std::string, std::string>> stored;
  db::QueryIn(tx.Conn(), sql::kSelectIdempotencyKeysHead, keys, [&](::sql::ResultSet& rs) {
    stored[rs.getString(1).asStdString()] = {rs.getString(2).asStdString(),
                                             rs.getString(3).asStdString()};
  });
  return stored;
}

void InsertOrders(db::Transaction& tx, const std::vector<OrderRow>& orders, std::int64_t deadline_ms) {
  auto& conn = tx.Conn();
  db::ExecuteRows(conn, sql::kInsertOrdersHead, sql::kInsertOrdersRow, orders.size(),
                  [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                    st.setString(p, orders[i].order_id);
                    st.setInt64(p + 1, orders[i].cmd->user_id.value);
                    db::BindOptional(st, p + 2, orders[i].cmd->coupon_id);
                    st.setString(p + 3, orders[i].traceparent);
                    st.setInt64(p + 4, deadline_ms * 1000);
                  });
  struct ItemRef {
    const std::string* order_id;
    const contracts::OrderItem* item;
  };
  std::vector<ItemRef> items;
  for (const auto& o : orders) {
    for (const auto& item : o.cmd->items) items.push_back({&o.order_id, &item});
  }
  db::ExecuteRows(conn, sql::kInsertItemsHead, sql::kInsertItemsRow, items.size(),
                  [&](::sql::PreparedStatement& st, std::size_t k, int p) {
                    st.setString(p, *items[k].order_id);
                    st.setInt64(p + 1, items[k].item->product_id.value);
                    st.setInt(p + 2, items[k].item->quantity);
                  });
}

std::optional<OrderView> FindOrder(db::Transaction& tx, const std::string& order_id) {
  auto& conn = tx.Conn();
  OrderView v;
  {
    auto& st = conn.Prepare(sql::kSelectOrder);
    st.setString(1, order_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return std::nullopt;
    v.order_id = rs->getString(1).asStdString();
    v.user_id = contracts::UserId(rs->getInt64(2));
    v.status = rs->getString(3).asStdString();
    v.reason = db::OptionalString(*rs, 4);
    v.coupon_id = db::OptionalString(*rs, 5);
    v.created_at = db::IsoFromDateTime(rs->getString(6).asStdString());
    v.updated_at = db::IsoFromDateTime(rs->getString(7).asStdString());
    v.amount = db::OptionalInt(*rs, 8);
    v.discount = db::OptionalInt(*rs, 9);
  }
  auto& st = conn.Prepare(sql::kSelectItems);
  st.setString(1, order_id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  while (rs->next()) v.items.push_back({contracts::ProductId(rs->getInt64(1)), rs->getInt(2)});
  return v;
}

std::size_t FinishOrders(db::Transaction& tx, const std::vector<FinalStatus>& statuses) {
  return static_cast<std::size_t>(db::ExecuteRows(
      tx.Conn(), sql::kFinishOrdersHead, sql::kFinishOrdersRow, statuses.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, statuses[i].order_id);
        st.setString(p + 1, statuses[i].status);
        db::BindOptional(st, p + 2, statuses[i].reason);
        db::BindOptional(st, p + 3, statuses[i].amount);
        db::BindOptional(st, p + 4, statuses[i].discount);
      },
      sql::kFinishOrdersTail, " UNION ALL "));
}

}  // namespace saga::order::store

namespace saga::order::store {

std::vector<ExpiredOrder> LockExpired(db::Transaction& tx, int limit) {
  auto& conn = tx.Conn();
  auto& st = conn.Prepare(sql::kLockExpired);
  st.setInt(1, limit);
  std::vector<ExpiredOrder> out;
  std::map<std::string, std::size_t> index;
  {
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      ExpiredOrder o;
      o.order_id = rs->getString(1).asStdString();
      o.order.user_id = contracts::UserId(rs->getInt64(2));
      o.order.coupon_id = db::OptionalString(*rs, 3);
      o.traceparent = db::OptionalString(*rs, 4).value_or("");
      o.expiries = rs->getInt64(5);
      index[o.order_id] = out.size();
      out.push_back(std::move(o));
    }
  }
  std::vector<std::string> ids;
  for (const auto& o : out) ids.push_back(o.order_id);
  db::QueryIn(
      conn, sql::kItemsOfHead, ids,
      [&](::sql::ResultSet& rs) {
        out[index.at(rs.getString(1).asStdString())].order.items.push_back(
            {contracts::ProductId(rs.getInt64(2)), rs.getInt(3)});
      },
      sql::kItemsOfTail);
  return out;
}

std::size_t FillDeadlines(db::Transaction& tx, std::int64_t deadline_ms, int limit) {
  auto& st = tx.Conn().Prepare(sql::kFillDeadlines);
  st.setInt64(1, deadline_ms * 1000);
  st.setInt(2, limit);
  return static_cast<std::size_t>(st.executeUpdate());
}

void PostponeExpired(db::Transaction& tx, const std::vector<ExpiredOrder>& orders, std::int64_t deadline_ms) {
  if (orders.empty()) return;
  // Padded to a power of two by repeating the last id, as db::QueryIn does, to bound the shapes.
  const auto padded = std::bit_ceil(orders.size());
  auto& st = tx.Conn().Prepare(db::RepeatRows(sql::kPostponeHead, "?", padded, sql::kPostponeTail));
  st.setInt64(1, deadline_ms * 1000);
  for (std::size_t i = 0; i < padded; ++i) {
    st.setString(static_cast<int>(i + 2), orders[std::min(i, orders.size() - 1)].order_id);
  }
  st.executeUpdate();
}

}  // namespace saga::order::store
