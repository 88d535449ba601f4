#pragma once

namespace saga::order::sql {

inline constexpr const char* kInsertIdempotencyKeysHead =
    "INSERT INTO idempotency_keys (idem_key, request, order_id, created_at) VALUES ";
inline constexpr const char* kInsertIdempotencyKeysRow = "(?, ?, ?, UTC_TIMESTAMP(3))";
// A taken key keeps its row (and its order id); PlaceOrders reads the rows back to tell.
inline constexpr const char* kInsertIdempotencyKeysTail = " ON DUPLICATE KEY UPDATE idem_key = idem_key";
inline constexpr const char* kSelectIdempotencyKeysHead =
    "SELECT idem_key, request, order_id FROM idempotency_keys WHERE idem_key IN (";
inline constexpr const char* kInsertOrdersHead =
    "INSERT INTO orders (order_id, user_id, status, coupon_id, traceparent, created_at, updated_at, deadline) "
    "VALUES ";
inline constexpr const char* kInsertOrdersRow =
    "(?, ?, 'PENDING', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)";
inline constexpr const char* kInsertItemsHead =
    "INSERT INTO order_items (order_id, product_id, quantity) VALUES ";
inline constexpr const char* kInsertItemsRow = "(?, ?, ?)";
inline constexpr const char* kSelectOrder =
    "SELECT order_id, user_id, status, reason, coupon_id, "
    "CAST(created_at AS CHAR), CAST(updated_at AS CHAR), amount, discount FROM orders WHERE order_id = ?";
inline constexpr const char* kFinishOrdersHead = "UPDATE orders o JOIN (";
inline constexpr const char* kFinishOrdersRow =
    "SELECT ? AS order_id, ? AS status, ? AS reason, ? AS amount, ? AS discount";
inline constexpr const char* kFinishOrdersTail =
    ") v ON v.order_id = o.order_id SET o.status = v.status, o.reason = v.reason, "
    "o.amount = v.amount, o.discount = v.discount, "
    "o.updated_at = UTC_TIMESTAMP(3) WHERE o.status = 'PENDING'";
// docs/adr/0017: the deadline scan, on idx_orders_deadline (status, deadline). SKIP LOCKED lets two
// order services scan at once without waiting on each other.
inline constexpr const char* kLockExpired =
    "SELECT order_id, user_id, coupon_id, traceparent, expiries FROM orders "
    "WHERE status = 'PENDING' AND deadline <= UTC_TIMESTAMP(3) ORDER BY deadline LIMIT ? FOR UPDATE SKIP LOCKED";
inline constexpr const char* kItemsOfHead =
    "SELECT order_id, product_id, quantity FROM order_items WHERE order_id IN (";
inline constexpr const char* kItemsOfTail = ") ORDER BY order_id, product_id";
// The next deadline doubles with each expiry, up to 32 periods: an abort that cannot finish (a
// participant down for long, an abort in a DLQ) is asked about less and less often.
inline constexpr const char* kPostponeHead =
    "UPDATE orders SET deadline = UTC_TIMESTAMP(3) + INTERVAL (? << LEAST(expiries, 5)) MICROSECOND, "
    "expiries = expiries + 1 WHERE order_id IN (";
// A PENDING order without a deadline (written before the column existed, or by an older order
// service) gets one from its creation time; they sit at the start of idx_orders_deadline's range.
inline constexpr const char* kFillDeadlines =
    "UPDATE orders SET deadline = created_at + INTERVAL ? MICROSECOND "
    "WHERE status = 'PENDING' AND deadline IS NULL ORDER BY deadline LIMIT ?";
inline constexpr const char* kPostponeTail = ")";
// docs/adr/0018.
inline constexpr const char* kSweepKeys =
    "DELETE FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?";
inline constexpr const char* kSelectItems =
    "SELECT product_id, quantity FROM order_items WHERE order_id = ? ORDER BY product_id";

// Admission control: the outbox's backlog (ids are increasing and the relay deletes in id order, so
// MAX - MIN + 1 counts the rows) and its oldest row's age, from two primary-key look-ups.
inline constexpr const char* kOutboxBacklog =
    "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0), "
    "COALESCE(TIMESTAMPDIFF(MICROSECOND, (SELECT created_at FROM outbox ORDER BY id LIMIT 1), "
    "UTC_TIMESTAMP(6)) DIV 1000, 0) FROM outbox";
// Admission control on the sagas under way: one range of idx_orders_deadline (status, deadline).
inline constexpr const char* kOpenOrders = "SELECT COUNT(*) FROM orders WHERE status = 'PENDING'";

}  // namespace saga::order::sql
