#include "stock_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

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
  db::QueryIn(conn, sql::kReservedOrdersHead, keys.ordered,
              [&](::sql::ResultSet& rs) { s.reserved.insert(rs.getString(1).asStdString()); });
  db::QueryIn(
      conn, sql::kHeldReservationsHead, keys.failed,
      [&](::sql::ResultSet& rs) {
        s.held[rs.getString(1).asStdString()].push_back(
            {contracts::ProductId(rs.getInt64(2)), rs.getInt(3)});
      },
      sql::kHeldReservationsTail);
  db::QueryIn(
      conn, sql::kProductsHead, ProductsOf(events, s.held),
      [&](::sql::ResultSet& rs) {
        s.products[rs.getInt64(1)] = Product{rs.getInt64(2), rs.getInt64(3)};
      },
      sql::kProductsTail);
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
