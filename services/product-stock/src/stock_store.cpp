#include "stock_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <utility>

#include "saga/db/rows.hpp"
#include "sql.hpp"

namespace saga::stock::store {
namespace {

ProductRow ReadProduct(::sql::ResultSet& rs) {
  return {rs.getInt64(1), rs.getString(2).asStdString(), rs.getInt64(3), rs.getInt64(4)};
}

}  // namespace

StockState Load(db::Transaction& tx, const std::vector<StockEvent>& events) {
  auto& conn = tx.Conn();
  const auto keys = KeysOf(events);
  StockState s;
  const auto read_held = [&](const std::vector<std::string>& orders, const char* tail,
                             std::map<std::string, std::vector<contracts::OrderItem>>& into) {
    db::QueryIn(
        conn, sql::kHeldReservationsHead, orders,
        [&](::sql::ResultSet& rs) {
          into[rs.getString(1).asStdString()].push_back({contracts::ProductId(rs.getInt64(2)), rs.getInt(3)});
        },
        tail);
  };
  // Product rows first, then reservations, for every event (one lock order, so no two batches wait
  // on each other in a cycle): a failed payment's products come from a read without a lock (its
  // reservation was made before the payment failed, and is only changed under its products' locks).
  std::map<std::string, std::vector<contracts::OrderItem>> failed;
  read_held(keys.failed, sql::kHeldReservationsTail, failed);
  db::QueryIn(
      conn, sql::kProductsHead, ProductsOf(events, failed),
      [&](::sql::ResultSet& rs) {
        s.products[rs.getInt64(1)] = Product{rs.getInt64(2), rs.getInt64(3)};
      },
      sql::kProductsTail);
  // docs/adr/0017: an order's reservation and its abort lock the same product rows, so what the
  // order holds and whether it is aborted are read after those locks: of an order.created and a
  // saga.aborted of one order, the second to lock sees what the first did.
  std::vector<std::string> marked = keys.ordered;
  marked.insert(marked.end(), keys.aborted.begin(), keys.aborted.end());
  db::QueryInTwice(conn, sql::kOrderMarksHead, sql::kOrderMarksMiddle, marked, [&](::sql::ResultSet& rs) {
    (rs.getInt(2) == 0 ? s.reserved : s.aborted).insert(rs.getString(1).asStdString());
  });
  std::vector<std::string> giving_back = keys.failed;
  giving_back.insert(giving_back.end(), keys.aborted.begin(), keys.aborted.end());
  std::sort(giving_back.begin(), giving_back.end());
  giving_back.erase(std::unique(giving_back.begin(), giving_back.end()), giving_back.end());
  read_held(giving_back, sql::kHeldReservationsLockTail, s.held);
  return s;
}

void Save(db::Transaction& tx, const StockDecision& d) {
  auto& conn = tx.Conn();
  // The rows are locked, so absolute values are safe.
  const std::vector<std::pair<std::int64_t, std::int64_t>> stocks(d.stocks.begin(), d.stocks.end());
  db::ExecuteRows(
      conn, sql::kSetStocksHead, sql::kSetStocksRow, stocks.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setInt64(p, stocks[i].first);
        st.setInt64(p + 1, stocks[i].second);
      },
      sql::kSetStocksTail, " UNION ALL ");
  db::ExecuteRows(conn, sql::kInsertReservationsHead, sql::kInsertReservationsRow,
                  d.reservations.size(), [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                    const auto& r = d.reservations[i];
                    st.setString(p, r.order_id);
                    st.setInt64(p + 1, r.item.product_id.value);
                    st.setInt(p + 2, r.item.quantity);
                    st.setInt64(p + 3, r.item.unit_price);
                  });
  db::ExecuteRows(
      conn, sql::kMarkReleasedHead, "?", d.released.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, d.released[i]); },
      sql::kMarkReleasedTail);
  db::ExecuteRows(
      conn, sql::kInsertAbortedHead, sql::kInsertAbortedRow, d.aborted.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, d.aborted[i]); },
      sql::kInsertAbortedTail);
}

std::vector<ProductRow> ListProducts(db::Transaction& tx) {
  auto& st = tx.Conn().Prepare(sql::kListProducts);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  std::vector<ProductRow> out;
  while (rs->next()) out.push_back(ReadProduct(*rs));
  return out;
}

std::optional<ProductRow> GetProduct(db::Transaction& tx, std::int64_t id) {
  auto& st = tx.Conn().Prepare(sql::kGetProduct);
  st.setInt64(1, id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadProduct(*rs);
}

void SetStock(db::Transaction& tx, std::int64_t id, std::int64_t stock) {
  auto& st = tx.Conn().Prepare(sql::kSetStock);
  st.setInt64(1, stock);
  st.setInt64(2, id);
  st.executeUpdate();
}

std::vector<TopProductRow> TopProducts(db::Transaction& tx, int days, int limit) {
  auto& st = tx.Conn().Prepare(sql::kTopProducts);
  st.setInt(1, days);
  st.setInt(2, limit);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  std::vector<TopProductRow> out;
  while (rs->next())
    out.push_back({rs->getInt64(1), rs->getString(2).asStdString(), rs->getInt64(3)});
  return out;
}

}  // namespace saga::stock::store
