#pragma once

namespace saga::payment::sql {

// Multi-row forms (db::RepeatRows) for a whole batch.
inline constexpr const char* kPaymentsHead = "SELECT order_id FROM payments WHERE order_id IN (";
inline constexpr const char* kLockAccountsHead = "SELECT user_id, balance FROM accounts WHERE user_id IN (";
inline constexpr const char* kLockAccountsTail = ") ORDER BY user_id FOR UPDATE";
inline constexpr const char* kSetBalancesHead = "UPDATE accounts a JOIN (";
inline constexpr const char* kSetBalancesRow = "SELECT ? AS user_id, ? AS balance";
inline constexpr const char* kSetBalancesTail =
    ") v ON v.user_id = a.user_id SET a.balance = v.balance, a.updated_at = UTC_TIMESTAMP(3)";
inline constexpr const char* kInsertPaymentsHead =
    "INSERT INTO payments (order_id, payment_id, user_id, amount, status, reason, created_at) VALUES ";
inline constexpr const char* kInsertPaymentsRow = "(?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kGetPayment =
    "SELECT order_id, payment_id, user_id, amount, status, reason, CAST(created_at AS CHAR) "
    "FROM payments WHERE order_id = ?";

inline constexpr const char* kLockAccount = "SELECT balance FROM accounts WHERE user_id = ? FOR UPDATE";
inline constexpr const char* kEnsureAccount =
    "INSERT INTO accounts (user_id, balance, updated_at) VALUES (?, 0, UTC_TIMESTAMP(3)) "
    "ON DUPLICATE KEY UPDATE user_id = user_id";
inline constexpr const char* kCredit =
    "UPDATE accounts SET balance = balance + ?, updated_at = UTC_TIMESTAMP(3) WHERE user_id = ?";
inline constexpr const char* kGetBalance = "SELECT balance FROM accounts WHERE user_id = ?";
inline constexpr const char* kInsertCharge =
    "INSERT INTO charges (idem_key, user_id, amount, previous_balance, current_balance, created_at) "
    "VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kGetCharge =
    "SELECT user_id, amount, previous_balance, current_balance FROM charges WHERE idem_key = ?";

}  // namespace saga::payment::sql
