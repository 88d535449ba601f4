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
    "INSERT INTO orders (order_id, user_id, status, coupon_id, traceparent, created_at, updated_at) VALUES ";
inline constexpr const char* kInsertOrdersRow = "(?, ?, 'PENDING', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
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
inline constexpr const char* kSelectItems =
    "SELECT product_id, quantity FROM order_items WHERE order_id = ? ORDER BY product_id";

// Admission control: the outbox's backlog (ids are increasing and the relay deletes in id order, so
// MAX - MIN + 1 counts the rows) and its oldest row's age, from two primary-key look-ups.
inline constexpr const char* kOutboxBacklog =
    "SELECT COALESCE(MAX(id) - MIN(id) + 1, 0), "
    "COALESCE(TIMESTAMPDIFF(MICROSECOND, (SELECT created_at FROM outbox ORDER BY id LIMIT 1), "
    "UTC_TIMESTAMP(6)) DIV 1000, 0) FROM outbox";

}  // namespace saga::order::sql
