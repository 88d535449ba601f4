#include "saga/outbox/outbox.hpp"

#include <cppconn/resultset.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <unordered_set>

#include "saga/contracts/saga.hpp"
#include "saga/db/rows.hpp"

namespace saga::outbox {

void Append(db::Transaction& tx, const contracts::Envelope& event, const std::string& traceparent) {
  db::detail::Translate(&tx.Conn(), [&] {
    auto& st = tx.Conn().Prepare(sql::kAppend);
    st.setString(1, event.event_id);
    st.setString(2, event.event_type);
    st.setString(3, event.order_id);
    st.setString(4, event.Serialize());
    st.setString(5, traceparent);
    st.executeUpdate();
  });
}

void AppendMany(db::Transaction& tx, const std::vector<Pending>& events) {
  for (const auto& e : events) contracts::CheckOutgoing(e.event);
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    db::ExecuteRows(conn, sql::kAppendHead, sql::kAppendRow, events.size(),
                    [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                      const auto& e = events[i];
                      st.setString(p, e.event.event_id);
                      st.setString(p + 1, e.event.event_type);
                      st.setString(p + 2, e.event.order_id);
                      st.setString(p + 3, e.event.Serialize());
                      st.setString(p + 4, e.traceparent);
                    });
  });
}

bool RecordInbox(db::Transaction& tx, const std::string& event_id, const std::string& event_type) {
  return db::detail::Translate(&tx.Conn(), [&] {
    auto& st = tx.Conn().Prepare(sql::kRecordInbox);
    st.setString(1, event_id);
    st.setString(2, event_type);
    return st.executeUpdate() == 1;
  });
}

std::vector<bool> RecordInbox(db::Transaction& tx, const std::vector<std::pair<std::string, std::string>>& events) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    const std::size_t n = events.size();
    std::vector<bool> fresh(n);
    auto bind_from = [&](std::size_t first) {
      return [&events, first](::sql::PreparedStatement& st, std::size_t i, int p) {
        st.setString(p, events[first + i].first);
        st.setString(p + 1, events[first + i].second);
      };
    };

    // The common case, no redelivery: plain multi-row INSERTs, one per chunk, and no look-up.
    // A duplicate fails its statement alone (InnoDB rolls back that statement, not the
    // transaction); the rows from that chunk on go the careful way below.
    std::size_t at = 0;
    std::unordered_set<std::string> ids;
    for (const auto& e : events) ids.insert(e.first);
    if (ids.size() == n) {
      for (const auto k : db::ChunkSizes(n)) {
        try {
          db::detail::Translate(&conn, [&] {
            db::ExecuteRows(conn, sql::kInsertInboxHead, sql::kRecordInboxRow, k, bind_from(at));
          });
        } catch (const db::Error& e) {
          if (!e.IsDuplicateKey()) throw;
          break;
        }
        std::fill(fresh.begin() + static_cast<std::ptrdiff_t>(at), fresh.begin() + static_cast<std::ptrdiff_t>(at + k), true);
        at += k;
      }
    }
    if (at == n) return fresh;

    std::vector<std::string> rest;
    for (std::size_t i = at; i < n; ++i) rest.push_back(events[i].first);
    std::unordered_set<std::string> seen;
    db::QueryIn(conn, sql::kInboxExistingHead, rest, [&](::sql::ResultSet& rs) { seen.insert(rs.getString(1)); });
    std::vector<std::size_t> rows;
    for (std::size_t i = at; i < n; ++i) {
      fresh[i] = seen.insert(events[i].first).second;
      if (fresh[i]) rows.push_back(i);
    }
    const auto inserted = db::ExecuteRows(conn, sql::kRecordInboxHead, sql::kRecordInboxRow, rows.size(),
                                          [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                                            st.setString(p, events[rows[i]].first);
                                            st.setString(p + 1, events[rows[i]].second);
                                          });
    if (inserted != rows.size()) {
      // Another consumer recorded one of them after our look-up: retry, then skip it.
      throw db::Error("an inbox row was recorded concurrently", 1213, "40001");
    }
    return fresh;
  });
}

}  // namespace saga::outbox
