#include "payment_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "coupon_store.hpp"
#include "sql.hpp"

namespace saga::payment::store {

PaymentState Load(db::Transaction& tx, const std::vector<PaymentEvent>& events) {
  auto& conn = tx.Conn();
  PaymentState s;
  const auto lock_accounts = [&](const std::vector<std::int64_t>& users) {
    db::QueryIn(
        conn, sql::kLockAccountsHead, users,
        [&](::sql::ResultSet& rs) { s.balances[rs.getInt64(1)] = rs.getInt64(2); },
        sql::kLockAccountsTail);
  };
  lock_accounts(UsersOf(events));
  // docs/adr/0017: an order's debit and its abort lock the same account, so whether it is paid or
  // aborted is read after that lock: of a stock.reserved and a saga.aborted of one order, the
  // second to lock sees what the first did.
  const auto orders = OrdersOf(events);
  const auto aborts = AbortsOf(events);
  auto marked = orders;
  marked.insert(marked.end(), aborts.begin(), aborts.end());
  db::QueryInTwice(conn, sql::kOrderMarksHead, sql::kOrderMarksMiddle, marked, [&](::sql::ResultSet& rs) {
    (rs.getInt(2) == 0 ? s.paid : s.aborted).insert(rs.getString(1).asStdString());
  });
  db::QueryIn(
      conn, sql::kAbortedPaymentsHead, aborts,
      [&](::sql::ResultSet& rs) {
        s.payments[rs.getString(1).asStdString()] = {rs.getString(2).asStdString(), rs.getInt64(3), rs.getInt64(4),
                                                     rs.getString(5).asStdString(), db::OptionalString(rs, 6)};
      },
      sql::kAbortedPaymentsTail);
  std::vector<std::int64_t> more;  // a payment's user that its abort does not name (forged): locked too
  for (const auto& [_, pay] : s.payments) {
    if (!s.balances.contains(pay.user_id)) more.push_back(pay.user_id);
  }
  lock_accounts(more);
  const auto coupons = CouponsOf(events);
  if (coupons.empty()) return s;
  // The coupon rows (locked), then their campaigns' terms.
  QueryCouponPairs(conn, sql::kLockCouponsHead, sql::kLockCouponsTail, coupons, [&](::sql::ResultSet& rs) {
    s.coupons[{rs.getString(1).asStdString(), rs.getInt64(2)}].used_by = db::OptionalString(rs, 3);
  });
  std::vector<std::string> campaigns;
  for (const auto& [key, held] : s.coupons) {
    if (campaigns.empty() || campaigns.back() != key.first) campaigns.push_back(key.first);
  }
  std::map<std::string, std::pair<Campaign, bool>> terms;
  db::QueryIn(conn, sql::kCampaignTermsHead, campaigns, [&](::sql::ResultSet& rs) {
    Campaign c;
    c.coupon_id = rs.getString(1).asStdString();
    c.discount_type = rs.getString(2).asStdString() == "PERCENT" ? DiscountType::kPercent : DiscountType::kAmount;
    c.discount_value = rs.getInt64(3);
    c.max_discount = db::OptionalInt(rs, 4);
    const bool valid_now = rs.getInt(5) != 0;
    auto id = c.coupon_id;
    terms.insert_or_assign(std::move(id), std::pair{std::move(c), valid_now});
  });
  for (auto& [key, held] : s.coupons) {
    const auto& [campaign, valid_now] = terms.at(key.first);  // a coupon's campaign is never deleted
    held.terms = campaign;
    held.valid_now = valid_now;
  }
  return s;
}

void SetBalances(db::Connection& conn, const std::map<std::int64_t, std::int64_t>& balances) {
  const std::vector<std::pair<std::int64_t, std::int64_t>> rows(balances.begin(), balances.end());
  db::ExecuteRows(
      conn, sql::kSetBalancesHead, sql::kSetBalancesRow, rows.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setInt64(p, rows[i].first);
        st.setInt64(p + 1, rows[i].second);
      },
      sql::kSetBalancesTail, " UNION ALL ");
}

void Save(db::Transaction& tx, const PaymentDecision& d) {
  auto& conn = tx.Conn();
  SetBalances(conn, d.balances);
  db::ExecuteRows(conn, sql::kInsertPaymentsHead, sql::kInsertPaymentsRow, d.payments.size(),
                  [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                    const auto& pay = d.payments[i];
                    st.setString(p, pay.order_id);
                    st.setString(p + 1, pay.payment_id);
                    st.setInt64(p + 2, pay.user_id);
                    st.setInt64(p + 3, pay.amount);
                    st.setString(p + 4, pay.reason ? "FAILED" : "COMPLETED");
                    db::BindOptional(st, p + 5, pay.reason);
                    st.setInt64(p + 6, pay.discount);
                    db::BindOptional(st, p + 7, pay.coupon_id);
                  });
  // Each coupon is used once: the rows are locked and were unused when loaded.
  const auto used = db::ExecuteRows(
      conn, sql::kUseCouponsHead, sql::kUseCouponsRow, d.uses.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, d.uses[i].coupon_id);
        st.setInt64(p + 1, d.uses[i].user_id);
        st.setString(p + 2, d.uses[i].order_id);
      },
      sql::kUseCouponsTail, " UNION ALL ");
  if (used != d.uses.size()) {
    throw std::logic_error("payment: " + std::to_string(d.uses.size()) + " coupons to use, " +
                           std::to_string(used) + " were unused");
  }
  db::ExecuteRows(
      conn, sql::kRefundHead, "?", d.refunds.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, d.refunds[i]); }, sql::kRefundTail);
  db::ExecuteRows(
      conn, sql::kReturnCouponsHead, sql::kUseCouponsRow, d.returns.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, d.returns[i].coupon_id);
        st.setInt64(p + 1, d.returns[i].user_id);
        st.setString(p + 2, d.returns[i].order_id);
      },
      sql::kReturnCouponsTail, " UNION ALL ");
  db::ExecuteRows(
      conn, sql::kInsertAbortedHead, sql::kInsertAbortedRow, d.aborted.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, d.aborted[i]); },
      sql::kInsertAbortedTail);
}

std::optional<StoredPayment> GetPayment(db::Transaction& tx, const std::string& order_id) {
  auto& st = tx.Conn().Prepare(sql::kGetPayment);
  st.setString(1, order_id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  return StoredPayment{{rs->getString(1).asStdString(), rs->getString(2).asStdString(),
                        rs->getInt64(3), rs->getInt64(4), db::OptionalString(*rs, 6), rs->getInt64(8),
                        db::OptionalString(*rs, 9)},
                       rs->getString(5).asStdString(),
                       db::IsoFromDateTime(rs->getString(7).asStdString())};
}

}  // namespace saga::payment::store
