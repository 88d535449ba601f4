#include "saga/outbox/outbox.hpp"

#include <cppconn/resultset.h>

#include <memory>
#include <unordered_set>

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
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    std::size_t at = 0;
    for (const auto k : db::ChunkSizes(events.size())) {
      auto& st = conn.Prepare(db::RepeatRows(sql::kAppendHead, sql::kAppendRow, k));
      for (std::size_t i = 0; i < k; ++i) {
        const auto& e = events[at + i];
        const int p = static_cast<int>(5 * i);
        st.setString(p + 1, e.event.event_id);
        st.setString(p + 2, e.event.event_type);
        st.setString(p + 3, e.event.order_id);
        st.setString(p + 4, e.event.Serialize());
        st.setString(p + 5, e.traceparent);
      }
      st.executeUpdate();
      at += k;
    }
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
    std::unordered_set<std::string> seen;
    std::size_t at = 0;
    for (const auto k : db::ChunkSizes(events.size())) {
      auto& st = conn.Prepare(db::RepeatRows(sql::kInboxExistingHead, "?", k, ")"));
      for (std::size_t i = 0; i < k; ++i) st.setString(static_cast<int>(i + 1), events[at + i].first);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) seen.insert(rs->getString(1).asStdString());
      at += k;
    }
    std::vector<bool> fresh(events.size());
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < events.size(); ++i) {
      fresh[i] = seen.insert(events[i].first).second;
      if (fresh[i]) rows.push_back(i);
    }
    std::uint64_t inserted = 0;
    at = 0;
    for (const auto k : db::ChunkSizes(rows.size())) {
      auto& st = conn.Prepare(db::RepeatRows(sql::kRecordInboxHead, sql::kRecordInboxRow, k));
      for (std::size_t i = 0; i < k; ++i) {
        st.setString(static_cast<int>(2 * i + 1), events[rows[at + i]].first);
        st.setString(static_cast<int>(2 * i + 2), events[rows[at + i]].second);
      }
      inserted += static_cast<std::uint64_t>(st.executeUpdate());
      at += k;
    }
    if (inserted != rows.size()) {
      // Another consumer recorded one of them after our look-up: retry, then skip it.
      throw db::Error("an inbox row was recorded concurrently", 1213, "40001");
    }
    return fresh;
  });
}

}  // namespace saga::outbox
