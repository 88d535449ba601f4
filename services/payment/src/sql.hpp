#pragma once

namespace saga::payment::sql {

inline constexpr const char* kPaymentExists = "SELECT 1 FROM payments WHERE order_id = ?";
inline constexpr const char* kLockAccount = "SELECT balance FROM accounts WHERE user_id = ? FOR UPDATE";
inline constexpr const char* kDebit =
    "UPDATE accounts SET balance = balance - ?, updated_at = UTC_TIMESTAMP(3) WHERE user_id = ?";
inline constexpr const char* kInsertPayment =
    "INSERT INTO payments (order_id, payment_id, user_id, amount, status, reason, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kGetPayment =
    "SELECT order_id, payment_id, user_id, amount, status, reason, CAST(created_at AS CHAR) "
    "FROM payments WHERE order_id = ?";

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
