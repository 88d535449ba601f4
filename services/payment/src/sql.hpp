#pragma once

namespace saga::payment::sql {

// Multi-row forms (db::RepeatRows) for a whole batch.
// Which orders have a payment (0) and which are aborted (1): the head, the ids, the middle, the ids
// again, ")".
inline constexpr const char* kOrderMarksHead = "SELECT order_id, 0 FROM payments WHERE order_id IN (";
inline constexpr const char* kOrderMarksMiddle =
    ") UNION ALL SELECT order_id, 1 FROM aborted_orders WHERE order_id IN (";
// docs/adr/0017: the payments of aborted orders (locked), their refunds and the coupons given back.
inline constexpr const char* kAbortedPaymentsHead =
    "SELECT order_id, payment_id, user_id, amount, status, coupon_id FROM payments WHERE order_id IN (";
inline constexpr const char* kAbortedPaymentsTail = ") ORDER BY order_id FOR UPDATE";
inline constexpr const char* kRefundHead =
    "UPDATE payments SET status = 'REFUNDED' WHERE status = 'COMPLETED' AND order_id IN (";
inline constexpr const char* kRefundTail = ")";
inline constexpr const char* kReturnCouponsHead = "UPDATE coupons u JOIN (";
inline constexpr const char* kReturnCouponsTail =
    ") v ON v.coupon_id = u.coupon_id AND v.user_id = u.user_id "
    "SET u.used_by_order_id = NULL, u.used_at = NULL WHERE u.used_by_order_id = v.order_id";
inline constexpr const char* kInsertAbortedHead = "INSERT INTO aborted_orders (order_id, aborted_at) VALUES ";
inline constexpr const char* kInsertAbortedRow = "(?, UTC_TIMESTAMP(3))";
inline constexpr const char* kInsertAbortedTail = " ON DUPLICATE KEY UPDATE order_id = aborted_orders.order_id";
// docs/adr/0018: kept for RETENTION_S, by the orders' time-ordered ids, and the charges' answers by
// their time.
inline constexpr const char* kSweepAborted = "DELETE FROM aborted_orders WHERE order_id < ? ORDER BY order_id LIMIT ?";
inline constexpr const char* kSweepPayments = "DELETE FROM payments WHERE order_id < ? ORDER BY order_id LIMIT ?";
inline constexpr const char* kSweepCharges = "DELETE FROM charges WHERE created_at < ? ORDER BY created_at LIMIT ?";
inline constexpr const char* kLockAccountsHead = "SELECT user_id, balance FROM accounts WHERE user_id IN (";
inline constexpr const char* kLockAccountsTail = ") ORDER BY user_id FOR UPDATE";
inline constexpr const char* kSetBalancesHead = "UPDATE accounts a JOIN (";
inline constexpr const char* kSetBalancesRow = "SELECT ? AS user_id, ? AS balance";
inline constexpr const char* kSetBalancesTail =
    ") v ON v.user_id = a.user_id SET a.balance = v.balance, a.updated_at = UTC_TIMESTAMP(3)";
inline constexpr const char* kInsertPaymentsHead =
    "INSERT INTO payments (order_id, payment_id, user_id, amount, status, reason, discount, coupon_id, "
    "created_at) VALUES ";
inline constexpr const char* kInsertPaymentsRow = "(?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kGetPayment =
    "SELECT order_id, payment_id, user_id, amount, status, reason, CAST(created_at AS CHAR), discount, "
    "coupon_id FROM payments WHERE order_id = ?";
// The coupons a batch's orders name, locked after the accounts (only the coupon rows: the
// campaign row, hot while coupons are issued, is read without a lock).
inline constexpr const char* kLockCouponsHead =
    "SELECT coupon_id, user_id, used_by_order_id FROM coupons WHERE (coupon_id, user_id) IN (";
inline constexpr const char* kLockCouponsTail = ") ORDER BY coupon_id, user_id FOR UPDATE";
inline constexpr const char* kCampaignTermsHead =
    "SELECT coupon_id, discount_type, discount_value, max_discount, "
    "(valid_from IS NULL OR valid_from <= UTC_TIMESTAMP(3)) AND "
    "(valid_until IS NULL OR valid_until > UTC_TIMESTAMP(3)) FROM coupon_campaigns WHERE coupon_id IN (";
inline constexpr const char* kUseCouponsHead = "UPDATE coupons u JOIN (";
inline constexpr const char* kUseCouponsRow = "SELECT ? AS coupon_id, ? AS user_id, ? AS order_id";
inline constexpr const char* kUseCouponsTail =
    ") v ON v.coupon_id = u.coupon_id AND v.user_id = u.user_id "
    "SET u.used_by_order_id = v.order_id, u.used_at = UTC_TIMESTAMP(3) WHERE u.used_by_order_id IS NULL";

// Charges (balance.cpp), a batch at a time: keys seen before, new accounts, then kLockAccounts*.
inline constexpr const char* kGetChargesHead =
    "SELECT idem_key, user_id, amount, previous_balance, current_balance FROM charges WHERE idem_key IN (";
inline constexpr const char* kEnsureAccountsHead = "INSERT INTO accounts (user_id, balance, updated_at) VALUES ";
inline constexpr const char* kEnsureAccountsRow = "(?, 0, UTC_TIMESTAMP(3))";
inline constexpr const char* kEnsureAccountsTail = " ON DUPLICATE KEY UPDATE user_id = accounts.user_id";
inline constexpr const char* kGetBalance = "SELECT balance FROM accounts WHERE user_id = ?";
inline constexpr const char* kInsertChargesHead =
    "INSERT INTO charges (idem_key, user_id, amount, previous_balance, current_balance, created_at) VALUES ";
inline constexpr const char* kInsertChargesRow = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(3))";

// Coupons (coupon_store.cpp). A campaign's row is the one hot row of a first-come issue: a batch of
// issues locks it once and decides its requests in arrival order (docs/adr/0008, and the coupon
// guarantee in docs/architecture.md); payment reads it without a lock (docs/adr/0015).
inline constexpr const char* kGetCampaign =
    "SELECT coupon_id, name, discount_type, discount_value, max_discount, quantity, issued, "
    "CAST(valid_from AS CHAR), CAST(valid_until AS CHAR) FROM coupon_campaigns WHERE coupon_id = ?";
inline constexpr const char* kLockCampaignIssued =
    "SELECT issued FROM coupon_campaigns WHERE coupon_id = ? FOR UPDATE";
inline constexpr const char* kInsertCampaign =
    "INSERT INTO coupon_campaigns (name, discount_type, discount_value, max_discount, quantity, valid_from, "
    "valid_until, coupon_id, issued, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
inline constexpr const char* kUpdateCampaign =
    "UPDATE coupon_campaigns SET name = ?, discount_type = ?, discount_value = ?, max_discount = ?, "
    "quantity = ?, valid_from = ?, valid_until = ?, updated_at = UTC_TIMESTAMP(3) WHERE coupon_id = ?";
// A batch of issues locks each campaign row once: what remains, whether it is valid now, and now.
inline constexpr const char* kLockCampaignForIssue =
    "SELECT quantity - issued, (valid_from IS NULL OR valid_from <= UTC_TIMESTAMP(3)) "
    "AND (valid_until IS NULL OR valid_until > UTC_TIMESTAMP(3)), CAST(UTC_TIMESTAMP(3) AS CHAR) "
    "FROM coupon_campaigns WHERE coupon_id = ? FOR UPDATE";
// Who of a batch holds a coupon already (read under the campaign's lock, which every issue takes).
inline constexpr const char* kHeldCouponsHead = "SELECT user_id FROM coupons WHERE (coupon_id, user_id) IN (";
inline constexpr const char* kInsertCouponsHead = "INSERT INTO coupons (coupon_id, user_id, issued_at) VALUES ";
inline constexpr const char* kInsertCouponsRow = "(?, ?, ?)";
inline constexpr const char* kAddIssued = "UPDATE coupon_campaigns SET issued = issued + ? WHERE coupon_id = ?";
inline constexpr const char* kUserCoupons =
    "SELECT c.coupon_id, c.name, c.discount_type, c.discount_value, c.max_discount, c.quantity, c.issued, "
    "CAST(c.valid_from AS CHAR), CAST(c.valid_until AS CHAR), CAST(u.issued_at AS CHAR), "
    "u.used_by_order_id, CAST(u.used_at AS CHAR) FROM coupons u "
    "JOIN coupon_campaigns c ON c.coupon_id = u.coupon_id WHERE u.user_id = ? "
    "ORDER BY u.issued_at, u.coupon_id LIMIT 1000";

}  // namespace saga::payment::sql
