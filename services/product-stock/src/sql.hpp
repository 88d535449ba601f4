#pragma once

namespace saga::stock::sql {

// Multi-row forms (db::RepeatRows) for a whole batch.
// Which orders reserved already (0) and which are aborted (1): the head, the ids, the middle, the
// ids again, ")".
inline constexpr const char* kOrderMarksHead =
    "SELECT DISTINCT order_id, 0 FROM reservations WHERE order_id IN (";
inline constexpr const char* kOrderMarksMiddle =
    ") UNION ALL SELECT order_id, 1 FROM aborted_orders WHERE order_id IN (";
inline constexpr const char* kInsertAbortedHead = "INSERT INTO aborted_orders (order_id, aborted_at) VALUES ";
inline constexpr const char* kInsertAbortedRow = "(?, UTC_TIMESTAMP(3))";
inline constexpr const char* kInsertAbortedTail = " ON DUPLICATE KEY UPDATE order_id = aborted_orders.order_id";
// docs/adr/0018: kept for RETENTION_S, by the orders' time-ordered ids.
inline constexpr const char* kSweepAborted = "DELETE FROM aborted_orders WHERE order_id < ? ORDER BY order_id LIMIT ?";
inline constexpr const char* kHeldReservationsHead =
    "SELECT order_id, product_id, quantity FROM reservations WHERE status = 'RESERVED' AND order_id IN (";
inline constexpr const char* kHeldReservationsTail = ") ORDER BY order_id, product_id";
inline constexpr const char* kHeldReservationsLockTail = ") ORDER BY order_id, product_id FOR UPDATE";
inline constexpr const char* kProductsHead = "SELECT product_id, price, stock FROM products WHERE product_id IN (";
inline constexpr const char* kProductsTail = ") ORDER BY product_id FOR UPDATE";
inline constexpr const char* kInsertReservationsHead =
    "INSERT INTO reservations (order_id, product_id, quantity, unit_price, status, created_at) VALUES ";
inline constexpr const char* kInsertReservationsRow = "(?, ?, ?, ?, 'RESERVED', UTC_TIMESTAMP(3))";
inline constexpr const char* kMarkReleasedHead =
    "UPDATE reservations SET status = 'RELEASED', released_at = UTC_TIMESTAMP(3) WHERE status = 'RESERVED' "
    "AND order_id IN (";
inline constexpr const char* kMarkReleasedTail = ")";

inline constexpr const char* kListProducts =
    "SELECT product_id, name, price, stock FROM products ORDER BY product_id LIMIT 1000";
inline constexpr const char* kGetProduct =
    "SELECT product_id, name, price, stock FROM products WHERE product_id = ?";
inline constexpr const char* kSetStocksHead = "UPDATE products p JOIN (";
inline constexpr const char* kSetStocksRow = "SELECT ? AS product_id, ? AS stock";
inline constexpr const char* kSetStocksTail =
    ") v ON v.product_id = p.product_id SET p.stock = v.stock, p.updated_at = UTC_TIMESTAMP(3)";
inline constexpr const char* kSetStock =
    "UPDATE products SET stock = ?, updated_at = UTC_TIMESTAMP(3) WHERE product_id = ?";
inline constexpr const char* kTopProducts =
    "SELECT r.product_id, p.name, SUM(r.quantity) AS sold FROM reservations r "
    "JOIN products p ON p.product_id = r.product_id "
    "WHERE r.status = 'RESERVED' AND r.created_at >= UTC_TIMESTAMP(3) - INTERVAL ? DAY "
    "GROUP BY r.product_id, p.name ORDER BY sold DESC, r.product_id LIMIT ?";

}  // namespace saga::stock::sql
