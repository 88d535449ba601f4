#pragma once

namespace saga::completion::sql {

// Multi-row forms (db::RepeatRows) for a whole batch.
inline constexpr const char* kEnsureSagasHead =
    "INSERT INTO sagas (order_id, status, started_at, updated_at) VALUES ";
inline constexpr const char* kEnsureSagasRow = "(?, 'PENDING', ?, UTC_TIMESTAMP(3))";
inline constexpr const char* kEnsureSagasTail = " ON DUPLICATE KEY UPDATE order_id = sagas.order_id";
inline constexpr const char* kLockSagasHead =
    "SELECT order_id, status, CAST(started_at AS CHAR), reason, aborted_at IS NOT NULL FROM sagas WHERE order_id IN (";
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
// docs/adr/0017: a saga that saga.aborted was recorded for.
inline constexpr const char* kMarkAbortedHead =
    "UPDATE sagas SET aborted_at = COALESCE(aborted_at, UTC_TIMESTAMP(3)) WHERE order_id IN (";
inline constexpr const char* kMarkAbortedTail = ")";
// The sagas that became final in a batch, in one UPDATE joined to their values.
inline constexpr const char* kFinishHead = "UPDATE sagas s JOIN (";
inline constexpr const char* kFinishRow =
    "SELECT ? AS order_id, ? AS status, ? AS reason, ? AS finished_at, ? AS duration_ms";
inline constexpr const char* kFinishSeparator = " UNION ALL ";
inline constexpr const char* kFinishTail =
    ") v ON v.order_id = s.order_id SET s.status = v.status, s.reason = v.reason, "
    "s.finished_at = v.finished_at, s.duration_ms = v.duration_ms, s.updated_at = UTC_TIMESTAMP(3)";

// docs/adr/0018: sagas and their steps are kept for RETENTION_S, by the orders' time-ordered ids.
inline constexpr const char* kSweepSteps = "DELETE FROM saga_steps WHERE order_id < ? ORDER BY order_id LIMIT ?";
inline constexpr const char* kSweepSagas = "DELETE FROM sagas WHERE order_id < ? ORDER BY order_id LIMIT ?";
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

// GET /sagas: a keyset page in (started_at, order_id) order. Each (status, reason) is one range of
// idx_sagas_status_reason_started, with `reason IS NULL` for PENDING and COMPLETED; a CANCELLED
// list of any reason is one such range per reason, each limited, merged by UNION ALL.
// completion_store.cpp assembles a branch from the parts below.
inline constexpr const char* kListSagasSelect =
    "SELECT order_id, status, reason, started_at, CAST(started_at AS CHAR) AS started_text, "
    "CAST(finished_at AS CHAR) AS finished_text, duration_ms, "
    "GREATEST(TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)), 0) DIV 1000 AS age_ms "
    "FROM sagas WHERE status = ?";
inline constexpr const char* kListSagasReasonIs = " AND reason = ?";
inline constexpr const char* kListSagasReasonNull = " AND reason IS NULL";
inline constexpr const char* kListSagasOlderThan =
    " AND started_at <= UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND";
inline constexpr const char* kListSagasAfter =
    " AND (started_at > ? OR (started_at = ? AND order_id > ?))";
inline constexpr const char* kListSagasOrder = " ORDER BY started_at, order_id LIMIT ?";
inline constexpr const char* kListSagasUnion = " UNION ALL ";

// The oldest PENDING saga: the first entry of its range of idx_sagas_status_reason_started.
inline constexpr const char* kOldestPending =
    "SELECT order_id, GREATEST(TIMESTAMPDIFF(MICROSECOND, started_at, UTC_TIMESTAMP(3)), 0) DIV 1000 "
    "FROM sagas WHERE status = 'PENDING' AND reason IS NULL ORDER BY started_at, order_id LIMIT 1";
// The stuck-saga gauges in one statement: PENDING sagas started more than ? microseconds ago
// (a count over one index range) and the oldest one's age in ms (NULL when none is PENDING).
inline constexpr const char* kPendingGauges =
    "SELECT (SELECT COUNT(*) FROM sagas WHERE status = 'PENDING' AND reason IS NULL "
    "AND started_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND), "
    "(SELECT GREATEST(TIMESTAMPDIFF(MICROSECOND, MIN(started_at), UTC_TIMESTAMP(3)), 0) DIV 1000 "
    "FROM sagas WHERE status = 'PENDING' AND reason IS NULL)";

}  // namespace saga::completion::sql
