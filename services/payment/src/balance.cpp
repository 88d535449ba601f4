#include "saga/payment/balance.hpp"

#include "saga/contracts/saga.hpp"
#include "sql.hpp"

namespace saga::payment {

ChargeResult Charge(db::Transaction& tx, std::int64_t user_id, std::int64_t amount,
                    const std::optional<std::string>& idempotency_key) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&]() -> ChargeResult {
    if (idempotency_key) {
      auto& st = conn.Prepare(sql::kGetCharge);
      st.setString(1, *idempotency_key);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (rs->next()) {
        if (rs->getInt64(1) != user_id || rs->getInt64(2) != amount) {
          throw ChargeKeyConflict("Idempotency-Key was already used for another charge");
        }
        return {user_id, rs->getInt64(3), amount, rs->getInt64(4), true};
      }
    }
    auto& ensure = conn.Prepare(sql::kEnsureAccount);
    ensure.setInt64(1, user_id);
    ensure.executeUpdate();
    std::int64_t previous = 0;
    {
      auto& st = conn.Prepare(sql::kLockAccount);
      st.setInt64(1, user_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      rs->next();
      previous = rs->getInt64(1);
    }
    const auto current = contracts::AddAmounts(previous, amount);
    if (!current) {
      throw BalanceOutOfRange("the balance " + std::to_string(previous) + " plus " + std::to_string(amount) +
                              " would be past the limit of " + std::to_string(contracts::kMaxAmount));
    }
    auto& credit = conn.Prepare(sql::kCredit);
    credit.setInt64(1, amount);
    credit.setInt64(2, user_id);
    credit.executeUpdate();
    ChargeResult result{user_id, previous, amount, *current, false};
    if (idempotency_key) {
      // A concurrent request with the same key blocks here until this one commits, then fails
      // with a duplicate key: InTransaction does not retry that, the caller replays instead.
      auto& ins = conn.Prepare(sql::kInsertCharge);
      ins.setString(1, *idempotency_key);
      ins.setInt64(2, user_id);
      ins.setInt64(3, amount);
      ins.setInt64(4, result.previous_balance);
      ins.setInt64(5, result.current_balance);
      ins.executeUpdate();
    }
    return result;
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
