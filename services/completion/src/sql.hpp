#pragma once

namespace saga::completion::sql {

// Multi-row forms (db::RepeatRows) for a whole batch.
inline constexpr const char* kEnsureSagasHead =
    "INSERT INTO sagas (order_id, status, started_at, updated_at) VALUES ";
inline constexpr const char* kEnsureSagasRow = "(?, 'PENDING', ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kEnsureSagasTail = " ON DUPLICATE KEY UPDATE order_id = sagas.order_id";
inline constexpr const char* kLockSagasHead =
    "SELECT order_id, status, CAST(started_at AS CHAR) FROM sagas WHERE order_id IN (";
inline constexpr const char* kLockSagasTail = ") ORDER BY order_id FOR UPDATE";
inline constexpr const char* kInsertStepsHead =
    "INSERT IGNORE INTO saga_steps (order_id, event_id, event_type, reason, occurred_at, recorded_at, "
    "amount, discount, coupon_id) VALUES ";
inline constexpr const char* kInsertStepsRow = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6), ?, ?, ?)";
inline constexpr const char* kSelectStepTypesHead =
    "SELECT order_id, event_type, reason, amount, discount, coupon_id FROM saga_steps WHERE order_id IN (";
inline constexpr const char* kEarlierStart =
    "UPDATE sagas SET started_at = ?, duration_ms = IF(finished_at IS NULL, NULL, "
    "TIMESTAMPDIFF(MICROSECOND, ?, finished_at) DIV 1000) WHERE order_id = ? AND started_at > ?";
// The sagas that became final in a batch, in one UPDATE joined to their values.
inline constexpr const char* kFinishHead = "UPDATE sagas s JOIN (";
inline constexpr const char* kFinishRow =
    "SELECT ? AS order_id, ? AS status, ? AS reason, ? AS finished_at, ? AS duration_ms";
inline constexpr const char* kFinishSeparator = " UNION ALL ";
inline constexpr const char* kFinishTail =
    ") v ON v.order_id = s.order_id SET s.status = v.status, s.reason = v.reason, "
    "s.finished_at = v.finished_at, s.duration_ms = v.duration_ms, s.updated_at = UTC_TIMESTAMP(3)";

inline constexpr const char* kGetSaga =
    "SELECT status, reason, CAST(started_at AS CHAR), CAST(finished_at AS CHAR), duration_ms "
    "FROM sagas WHERE order_id = ?";
inline constexpr const char* kGetSteps =
    "SELECT event_id, event_type, CAST(occurred_at AS CHAR), reason, amount, discount, coupon_id FROM saga_steps "
    "WHERE order_id = ? ORDER BY occurred_at, recorded_at";
inline constexpr const char* kCountByStatus = "SELECT status, COUNT(*) FROM sagas GROUP BY status";
inline constexpr const char* kCountCancelledByReason =
    "SELECT COALESCE(reason, 'NONE'), COUNT(*) FROM sagas WHERE status = 'CANCELLED' GROUP BY reason";
inline constexpr const char* kCountFinished = "SELECT COUNT(*) FROM sagas WHERE duration_ms IS NOT NULL";
inline constexpr const char* kNthDuration =
    "SELECT duration_ms FROM sagas WHERE duration_ms IS NOT NULL ORDER BY duration_ms LIMIT 1 OFFSET ?";

}  // namespace saga::completion::sql
