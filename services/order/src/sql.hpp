#pragma once

namespace saga::order::sql {

inline constexpr const char* kInsertIdempotencyKey =
    "INSERT INTO idempotency_keys (idem_key, request, order_id, created_at) "
    "VALUES (?, ?, ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kSelectIdempotencyKey =
    "SELECT request, order_id FROM idempotency_keys WHERE idem_key = ?";
inline constexpr const char* kInsertOrder =
    "INSERT INTO orders (order_id, user_id, status, coupon_id, traceparent, created_at, updated_at) "
    "VALUES (?, ?, 'PENDING', ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))";
inline constexpr const char* kInsertItemsHead =
    "INSERT INTO order_items (order_id, product_id, quantity) VALUES ";
inline constexpr const char* kInsertItemsRow = "(?, ?, ?)";
inline constexpr const char* kSelectOrder =
    "SELECT order_id, user_id, status, reason, coupon_id, "
    "CAST(created_at AS CHAR), CAST(updated_at AS CHAR) FROM orders WHERE order_id = ?";
inline constexpr const char* kFinishOrder =
    "UPDATE orders SET status = ?, reason = ?, updated_at = UTC_TIMESTAMP(3) "
    "WHERE order_id = ? AND status = 'PENDING'";
inline constexpr const char* kSelectItems =
    "SELECT product_id, quantity FROM order_items WHERE order_id = ? ORDER BY product_id";

}  // namespace saga::order::sql
