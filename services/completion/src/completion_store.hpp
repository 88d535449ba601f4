#pragma once

// completion's repository: the only code of the service that touches the database API. Its SQL
// is in sql.hpp.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "saga/completion/completion_rules.hpp"
#include "saga/db/pool.hpp"

namespace saga::completion::store {

/// A batch's state. Its sagas' rows are made if new (started at their earliest step), locked in
/// ascending order and moved to an earlier start if a step came from before it; then the stored
/// steps of the open sagas that need them are read.
CompletionState Load(db::Transaction& tx, const std::vector<StepIn>& steps);
/// The final statuses in one UPDATE, the steps in one INSERT (a step recorded already is kept).
void Save(db::Transaction& tx, const CompletionDecision& decision);

struct SagaView {
  std::string status;
  std::optional<std::string> reason;
  std::string started_at;                  ///< ISO-8601
  std::optional<std::string> finished_at;  ///< ISO-8601
  std::optional<std::int64_t> duration_ms;
};

struct StepView {
  std::string event_id;
  std::string type;
  std::string at;  ///< ISO-8601
  std::optional<std::string> reason;
  Money money;
};

std::optional<SagaView> GetSaga(db::Transaction& tx, const std::string& order_id);
/// The saga's steps by occurrence, then by when they were recorded.
std::vector<StepView> GetSteps(db::Transaction& tx, const std::string& order_id);

struct Stats {
  std::map<std::string, std::int64_t> by_status;
  std::map<std::string, std::int64_t> cancelled_by;  ///< reason (NONE if it has none) -> sagas
  std::int64_t finished = 0;                         ///< sagas with a duration
};
Stats GetStats(db::Transaction& tx);
/// The `rank`-th smallest saga duration (1-based), if there are that many.
std::optional<std::int64_t> NthDuration(db::Transaction& tx, std::int64_t rank);

/// A place in the GET /sagas order: (started_at, order_id).
struct SagaKey {
  std::string started_at;  ///< DATETIME text, "2026-11-21 12:00:00.123"
  std::string order_id;
};

/// Which sagas GET /sagas lists: one status; one index range per reason in `reasons` (nothing
/// for reason IS NULL); started at least `older_than_ms` ago; after `after`; at most `limit`.
struct SagaListQuery {
  std::string status;
  std::vector<std::optional<std::string>> reasons;
  std::optional<std::int64_t> older_than_ms;
  std::optional<SagaKey> after;
  int limit = 100;
};

struct SagaListItem {
  std::string order_id;
  std::string status;
  std::optional<std::string> reason;
  std::string started_at;  ///< ISO-8601
  std::int64_t age_ms = 0;
  std::optional<std::string> finished_at;  ///< ISO-8601
  std::optional<std::int64_t> duration_ms;
};

/// The sagas of `q` in (started_at, order_id) order, from index ranges only (no sort of the table).
std::vector<SagaListItem> ListSagas(db::Transaction& tx, const SagaListQuery& q);

struct OldestPending {
  std::string order_id;
  std::int64_t age_ms = 0;
};
/// The PENDING saga that started first, if any (one index look-up).
std::optional<OldestPending> GetOldestPending(db::Transaction& tx);

struct PendingGauges {
  std::int64_t overdue = 0;                   ///< PENDING sagas older than the deadline
  std::optional<std::int64_t> oldest_age_ms;  ///< none while no saga is PENDING
};
/// Both in one statement: a count over one index range and one index look-up.
PendingGauges GetPendingGauges(db::Transaction& tx, std::int64_t deadline_ms);

}  // namespace saga::completion::store
