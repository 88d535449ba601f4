#include "payment_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <utility>

#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::payment::store {

PaymentState Load(db::Transaction& tx, const std::vector<PaymentEvent>& events) {
  auto& conn = tx.Conn();
  PaymentState s;
  db::QueryIn(conn, sql::kPaymentsHead, OrdersOf(events),
              [&](::sql::ResultSet& rs) { s.paid.insert(rs.getString(1).asStdString()); });
  db::QueryIn(
      conn, sql::kLockAccountsHead, UsersOf(events),
      [&](::sql::ResultSet& rs) { s.balances[rs.getInt64(1)] = rs.getInt64(2); },
      sql::kLockAccountsTail);
  return s;
}

void Save(db::Transaction& tx, const PaymentDecision& d) {
  auto& conn = tx.Conn();
  // The rows are locked, so absolute values are safe.
  const std::vector<std::pair<std::int64_t, std::int64_t>> balances(d.balances.begin(),
                                                                    d.balances.end());
  db::ExecuteRows(
      conn, sql::kSetBalancesHead, sql::kSetBalancesRow, balances.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setInt64(p, balances[i].first);
        st.setInt64(p + 1, balances[i].second);
      },
      sql::kSetBalancesTail, " UNION ALL ");
  db::ExecuteRows(conn, sql::kInsertPaymentsHead, sql::kInsertPaymentsRow, d.payments.size(),
                  [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                    const auto& pay = d.payments[i];
                    st.setString(p, pay.order_id);
                    st.setString(p + 1, pay.payment_id);
                    st.setInt64(p + 2, pay.user_id);
                    st.setInt64(p + 3, pay.amount);
                    st.setString(p + 4, pay.reason ? "FAILED" : "COMPLETED");
                    db::BindOptional(st, p + 5, pay.reason);
                  });
}

std::optional<StoredPayment> GetPayment(db::Transaction& tx, const std::string& order_id) {
  auto& st = tx.Conn().Prepare(sql::kGetPayment);
  st.setString(1, order_id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  return StoredPayment{{rs->getString(1).asStdString(), rs->getString(2).asStdString(),
                        rs->getInt64(3), rs->getInt64(4), db::OptionalString(*rs, 6)},
                       rs->getString(5).asStdString(),
                       db::IsoFromDateTime(rs->getString(7).asStdString())};
}

}  // namespace saga::payment::store
