#pragma once

#include <string>
#include <utility>
#include <vector>

#include "saga/contracts/envelope.hpp"
#include "saga/db/pool.hpp"

namespace saga::outbox {

/// Adds `event` to this schema's outbox inside `tx`: it becomes visible to the relay exactly
/// when (and if) the business change in the same transaction commits.
void Append(db::Transaction& tx, const contracts::Envelope& event, const std::string& traceparent);

/// An event to append with the traceparent it carries.
struct Pending {
  contracts::Envelope event;
  std::string traceparent;
};
/// Append for many events, in a few multi-row statements (in order). Every service writes its
/// events with it, and each is first checked against the saga's declaration
/// (contracts::CheckOutgoing): an event that breaks its contract is never published.
void AppendMany(db::Transaction& tx, const std::vector<Pending>& events);

/// Records `event_id` in this schema's inbox inside `tx`. Returns false if it was already there
/// (a redelivery: the caller must skip its effect).
bool RecordInbox(db::Transaction& tx, const std::string& event_id, const std::string& event_type);

/// Records a batch of (event_id, event_type) in the inbox inside `tx`, in a few multi-row
/// statements. Element i is false if event i was already there, or earlier in `events` (a
/// redelivery: the caller must skip its effect). Without redeliveries that is one INSERT per
/// chunk; a duplicate key sends the rest through a look-up first. If another transaction
/// records one of them meanwhile, throws a transient db::Error, so the batch is retried and
/// then sees it.
std::vector<bool> RecordInbox(db::Transaction& tx, const std::vector<std::pair<std::string, std::string>>& events);

namespace sql {
// docs/adr/0018: the inbox is kept for RETENTION_S, by its time-ordered event ids (UUIDv7).
inline constexpr const char* kSweepInbox = "DELETE FROM inbox WHERE event_id < ? ORDER BY event_id LIMIT ?";
inline constexpr const char* kAppend =
    "INSERT INTO outbox (event_id, event_type, order_id, envelope, traceparent, created_at) "
    "VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
inline constexpr const char* kRecordInbox =
    "INSERT IGNORE INTO inbox (event_id, event_type, processed_at) VALUES (?, ?, UTC_TIMESTAMP(6))";
inline constexpr const char* kAppendHead =
    "INSERT INTO outbox (event_id, event_type, order_id, envelope, traceparent, created_at) VALUES ";
inline constexpr const char* kAppendRow = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
inline constexpr const char* kInboxExistingHead = "SELECT event_id FROM inbox WHERE event_id IN (";
inline constexpr const char* kInsertInboxHead =
    "INSERT INTO inbox (event_id, event_type, processed_at) VALUES ";
inline constexpr const char* kRecordInboxHead =
    "INSERT IGNORE INTO inbox (event_id, event_type, processed_at) VALUES ";
inline constexpr const char* kRecordInboxRow = "(?, ?, UTC_TIMESTAMP(6))";
}  // namespace sql

}  // namespace saga::outbox
