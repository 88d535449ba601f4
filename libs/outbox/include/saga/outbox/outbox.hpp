#pragma once

#include <string>

#include "saga/contracts/envelope.hpp"
#include "saga/db/pool.hpp"

namespace saga::outbox {

/// Adds `event` to this schema's outbox inside `tx`: it becomes visible to the relay exactly
/// when (and if) the business change in the same transaction commits.
void Append(db::Transaction& tx, const contracts::Envelope& event, const std::string& traceparent);

/// Records `event_id` in this schema's inbox inside `tx`. Returns false if it was already there
/// (a redelivery: the caller must skip its effect).
bool RecordInbox(db::Transaction& tx, const std::string& event_id, const std::string& event_type);

namespace sql {
inline constexpr const char* kAppend =
    "INSERT INTO outbox (event_id, event_type, order_id, envelope, traceparent, created_at) "
    "VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
inline constexpr const char* kRecordInbox =
    "INSERT IGNORE INTO inbox (event_id, event_type, processed_at) VALUES (?, ?, UTC_TIMESTAMP(6))";
}  // namespace sql

}  // namespace saga::outbox
