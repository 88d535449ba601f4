#include "completion_store.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>

#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::completion::store {

namespace {

// amount, discount, coupon_id from `first` on.
Money MoneyOf(::sql::ResultSet& rs, int first) {
  return {db::OptionalInt(rs, first), db::OptionalInt(rs, first + 1), db::OptionalString(rs, first + 2)};
}

}  // namespace

CompletionState Load(db::Transaction& tx, const std::vector<StepIn>& steps) {
  auto& conn = tx.Conn();
  const auto earliest = EarliestOf(steps);
  const std::vector<std::pair<std::string, std::string>> rows(earliest.begin(), earliest.end());
  std::vector<std::string> ids;
  for (const auto& [id, _] : rows) ids.push_back(id);
  db::ExecuteRows(
      conn, sql::kEnsureSagasHead, sql::kEnsureSagasRow, rows.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, rows[i].first);
        st.setString(p + 1, rows[i].second);
      },
      sql::kEnsureSagasTail);
  CompletionState s;
  std::vector<std::string> earlier;  // sagas with a step from before their recorded start (rare)
  db::QueryIn(
      conn, sql::kLockSagasHead, ids,
      [&](::sql::ResultSet& rs) {
        const auto id = rs.getString(1).asStdString();
        const auto stored_ms = DbTimeMillis(rs.getString(3).asStdString());
        const auto earliest_ms = DbTimeMillis(earliest.at(id));
        s.sagas[id] = {rs.getString(2).asStdString(), std::min(stored_ms, earliest_ms),
                       db::OptionalString(rs, 4), rs.getInt(5) != 0};
        if (earliest_ms < stored_ms) earlier.push_back(id);
      },
      sql::kLockSagasTail);
  for (const auto& id : earlier) {
    auto& up = conn.Prepare(sql::kEarlierStart);
    const auto& at = earliest.at(id);
    up.setString(1, at);
    up.setString(2, at);
    up.setString(3, id);
    up.setString(4, at);
    up.executeUpdate();
  }
  std::vector<std::string> history;
  for (const auto& [id, batch] : ByOrder(steps)) {
    if (HistoryNeeded(s.sagas.at(id), batch)) history.push_back(id);
  }
  db::QueryIn(conn, sql::kSelectStepTypesHead, history, [&](::sql::ResultSet& rs) {
    s.history[rs.getString(1).asStdString()].push_back(
        {rs.getString(2).asStdString(), db::OptionalString(rs, 3), MoneyOf(rs, 4)});
  });
  return s;
}

void Save(db::Transaction& tx, const CompletionDecision& d) {
  auto& conn = tx.Conn();
  db::ExecuteRows(
      conn, sql::kFinishHead, sql::kFinishRow, d.finishes.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
        const auto& f = d.finishes[i];
        st.setString(p, f.order_id);
        st.setString(p + 1, f.status);
        db::BindOptional(st, p + 2, f.reason);
        st.setString(p + 3, f.finished_at);
        st.setInt64(p + 4, f.duration_ms);
      },
      sql::kFinishTail, sql::kFinishSeparator);
  db::ExecuteRows(
      conn, sql::kMarkAbortedHead, "?", d.aborted.size(),
      [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, d.aborted[i]); },
      sql::kMarkAbortedTail);
  db::ExecuteRows(conn, sql::kInsertStepsHead, sql::kInsertStepsRow, d.steps.size(),
                  [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                    const auto& s = d.steps[i];
                    st.setString(p, s.order_id);
                    st.setString(p + 1, s.event_id);
                    st.setString(p + 2, s.type);
                    db::BindOptional(st, p + 3, s.reason);
                    st.setString(p + 4, s.at);
                    db::BindOptional(st, p + 5, s.money.amount);
                    db::BindOptional(st, p + 6, s.money.discount);
                    db::BindOptional(st, p + 7, s.money.coupon_id);
                  });
}

std::optional<SagaView> GetSaga(db::Transaction& tx, const std::string& order_id) {
  auto& st = tx.Conn().Prepare(sql::kGetSaga);
  st.setString(1, order_id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  const auto finished = db::OptionalString(*rs, 4);
  return SagaView{rs->getString(1).asStdString(), db::OptionalString(*rs, 2),
                  db::IsoFromDateTime(rs->getString(3).asStdString()),
                  finished ? std::optional(db::IsoFromDateTime(*finished)) : std::nullopt,
                  db::OptionalInt(*rs, 5)};
}

std::vector<StepView> GetSteps(db::Transaction& tx, const std::string& order_id) {
  auto& st = tx.Conn().Prepare(sql::kGetSteps);
  st.setString(1, order_id);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  std::vector<StepView> out;
  while (rs->next()) {
    out.push_back({rs->getString(1).asStdString(), rs->getString(2).asStdString(),
                   db::IsoFromDateTime(rs->getString(3).asStdString()),
                   db::OptionalString(*rs, 4), MoneyOf(*rs, 5)});
  }
  return out;
}

Stats GetStats(db::Transaction& tx) {
  auto& conn = tx.Conn();
  Stats s;
  {
    std::unique_ptr<::sql::ResultSet> rs(conn.Prepare(sql::kCountByStatus).executeQuery());
    while (rs->next()) s.by_status[rs->getString(1).asStdString()] = rs->getInt64(2);
  }
  {
    std::unique_ptr<::sql::ResultSet> rs(conn.Prepare(sql::kCountCancelledByReason).executeQuery());
    while (rs->next()) s.cancelled_by[rs->getString(1).asStdString()] = rs->getInt64(2);
  }
  std::unique_ptr<::sql::ResultSet> rs(conn.Prepare(sql::kCountFinished).executeQuery());
  rs->next();
  s.finished = rs->getInt64(1);
  return s;
}

std::optional<std::int64_t> NthDuration(db::Transaction& tx, std::int64_t rank) {
  auto& st = tx.Conn().Prepare(sql::kNthDuration);
  st.setInt64(1, std::max<std::int64_t>(rank, 1) - 1);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  return rs->getInt64(1);
}

std::vector<SagaListItem> ListSagas(db::Transaction& tx, const SagaListQuery& q) {
  if (q.reasons.empty()) return {};
  std::string branch = sql::kListSagasSelect;
  const auto reason_at = branch.size();  // where each branch's reason condition goes
  if (q.older_than_ms) branch += sql::kListSagasOlderThan;
  if (q.after) branch += sql::kListSagasAfter;
  branch += sql::kListSagasOrder;
  const bool merged = q.reasons.size() > 1;  // several ranges: each limited, then merged
  std::string text;
  for (const auto& reason : q.reasons) {
    auto one = branch;
    one.insert(reason_at, reason ? sql::kListSagasReasonIs : sql::kListSagasReasonNull);
    if (!merged) {
      text = std::move(one);
      break;
    }
    if (!text.empty()) text += sql::kListSagasUnion;
    text += "(" + one + ")";
  }
  if (merged) text += sql::kListSagasOrder;

  auto& st = tx.Conn().Prepare(text);
  int p = 1;
  for (const auto& reason : q.reasons) {
    st.setString(p++, q.status);
    if (reason) st.setString(p++, *reason);
    if (q.older_than_ms) st.setInt64(p++, *q.older_than_ms * 1000);
    if (q.after) {
      st.setString(p++, q.after->started_at);
      st.setString(p++, q.after->started_at);
      st.setString(p++, q.after->order_id);
    }
    st.setInt(p++, q.limit);
  }
  if (merged) st.setInt(p, q.limit);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  std::vector<SagaListItem> out;
  while (rs->next()) {
    SagaListItem item;
    item.order_id = rs->getString(1).asStdString();
    item.status = rs->getString(2).asStdString();
    item.reason = db::OptionalString(*rs, 3);
    item.started_at = db::IsoFromDateTime(rs->getString(5).asStdString());
    if (const auto finished = db::OptionalString(*rs, 6)) {
      item.finished_at = db::IsoFromDateTime(*finished);
    }
    item.duration_ms = db::OptionalInt(*rs, 7);
    item.age_ms = rs->getInt64(8);
    out.push_back(std::move(item));
  }
  return out;
}

std::optional<OldestPending> GetOldestPending(db::Transaction& tx) {
  std::unique_ptr<::sql::ResultSet> rs(tx.Conn().Prepare(sql::kOldestPending).executeQuery());
  if (!rs->next()) return std::nullopt;
  return OldestPending{rs->getString(1).asStdString(), rs->getInt64(2)};
}

PendingGauges GetPendingGauges(db::Transaction& tx, std::int64_t deadline_ms) {
  auto& st = tx.Conn().Prepare(sql::kPendingGauges);
  st.setInt64(1, deadline_ms * 1000);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  rs->next();
  return {rs->getInt64(1), db::OptionalInt(*rs, 2)};
}

}  // namespace saga::completion::store
