#include "saga/payment/balance.hpp"

#include <map>
#include <set>
#include <vector>

#include "saga/contracts/saga.hpp"
#include "saga/db/rows.hpp"
#include "payment_store.hpp"
#include "sql.hpp"

namespace saga::payment {

std::vector<ChargeOutcome> ChargeMany(db::Transaction& tx, const std::vector<const ChargeRequest*>& requests) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    std::vector<ChargeOutcome> out(requests.size());
    std::vector<std::string> keys;
    for (const auto* r : requests) {
      if (r->idempotency_key) keys.push_back(*r->idempotency_key);
    }
    std::map<std::string, ChargeResult> stored;
    db::QueryIn(conn, sql::kGetChargesHead, keys, [&](::sql::ResultSet& rs) {
      stored[rs.getString(1).asStdString()] = {rs.getInt64(2), rs.getInt64(4), rs.getInt64(3), rs.getInt64(5), true};
    });
    std::vector<bool> applies(requests.size(), false);
    std::set<std::int64_t> users;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& r = *requests[i];
      const auto it = r.idempotency_key ? stored.find(*r.idempotency_key) : stored.end();
      if (it == stored.end()) {
        applies[i] = true;
        users.insert(r.user_id);
      } else if (it->second.user_id != r.user_id || it->second.charged_amount != r.amount) {
        out[i] = {{}, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used for another charge"};
      } else {
        out[i] = {it->second, {}, {}};
      }
    }
    if (users.empty()) return out;
    const std::vector<std::int64_t> ascending(users.begin(), users.end());
    db::ExecuteRows(
        conn, sql::kEnsureAccountsHead, sql::kEnsureAccountsRow, ascending.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setInt64(p, ascending[i]); },
        sql::kEnsureAccountsTail);
    std::map<std::int64_t, std::int64_t> balances;
    db::QueryIn(
        conn, sql::kLockAccountsHead, ascending,
        [&](::sql::ResultSet& rs) { balances[rs.getInt64(1)] = rs.getInt64(2); }, sql::kLockAccountsTail);
    std::vector<std::size_t> keyed;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (!applies[i]) continue;
      const auto& r = *requests[i];
      auto& balance = balances.at(r.user_id);
      const auto current = contracts::AddAmounts(balance, r.amount);
      if (!current) {
        out[i] = {{}, "BALANCE_OUT_OF_RANGE",
                  "the balance " + std::to_string(balance) + " plus " + std::to_string(r.amount) +
                      " would be past the limit of " + std::to_string(contracts::kMaxAmount)};
        continue;
      }
      out[i] = {{r.user_id, balance, r.amount, *current, false}, {}, {}};
      balance = *current;
      if (r.idempotency_key) keyed.push_back(i);
    }
    store::SetBalances(conn, balances);
    db::ExecuteRows(conn, sql::kInsertChargesHead, sql::kInsertChargesRow, keyed.size(),
                    [&](::sql::PreparedStatement& st, std::size_t k, int p) {
                      const auto& r = *requests[keyed[k]];
                      const auto& c = out[keyed[k]].result;
                      st.setString(p, *r.idempotency_key);
                      st.setInt64(p + 1, r.user_id);
                      st.setInt64(p + 2, r.amount);
                      st.setInt64(p + 3, c.previous_balance);
                      st.setInt64(p + 4, c.current_balance);
                    });
    return out;
  });
}

std::optional<std::int64_t> Balance(db::Transaction& tx, std::int64_t user_id) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&]() -> std::optional<std::int64_t> {
    auto& st = conn.Prepare(sql::kGetBalance);
    st.setInt64(1, user_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return std::nullopt;
    return rs->getInt64(1);
  });
}

}  // namespace saga::payment
