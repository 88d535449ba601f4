#include "saga/outbox/outbox.hpp"

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

bool RecordInbox(db::Transaction& tx, const std::string& event_id, const std::string& event_type) {
  return db::detail::Translate(&tx.Conn(), [&] {
    auto& st = tx.Conn().Prepare(sql::kRecordInbox);
    st.setString(1, event_id);
    st.setString(2, event_type);
    return st.executeUpdate() == 1;
  });
}

}  // namespace saga::outbox
