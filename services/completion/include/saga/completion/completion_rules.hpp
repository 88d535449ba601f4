#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "saga/completion/saga_rules.hpp"
#include "saga/completion/watchers.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/messaging/handler.hpp"

namespace saga::completion {

/// An event completion consumes: every step of every saga.
using CompletionEvent = std::variant<
    messaging::Incoming<contracts::OrderCreated>, messaging::Incoming<contracts::StockReserved>,
    messaging::Incoming<contracts::StockRejected>, messaging::Incoming<contracts::PaymentCompleted>,
    messaging::Incoming<contracts::PaymentFailed>, messaging::Incoming<contracts::StockReleased>,
    messaging::Incoming<contracts::SagaExpired>, messaging::Incoming<contracts::StockAborted>,
    messaging::Incoming<contracts::PaymentRefunded>>;

/// A consumed event as a step of its saga.
struct StepIn {
  const messaging::Event* event;
  std::optional<std::string> reason;  ///< of stock.rejected and payment.failed
  std::string occurred;               ///< DATETIME text of occurredAt
  Money money = {};
  const contracts::SagaExpired* expired = nullptr;  ///< the payload of a saga.expired
};

/// Adds the money a step carries to its JSON (amount, discount, couponId; only those present).
void AddMoney(nlohmann::json& step, const Money& money);

/// The batch's events as steps, in order. Throws ContractError for an occurredAt that is not
/// yyyy-mm-ddThh:mm:ss.mmmZ.
std::vector<StepIn> StepsOf(const std::vector<CompletionEvent>& events);
/// The earliest occurrence of each saga of the batch.
std::map<std::string, std::string> EarliestOf(const std::vector<StepIn>& steps);
/// The batch's steps of each saga.
std::map<std::string, std::vector<Step>> ByOrder(const std::vector<StepIn>& steps);

struct SagaRow {
  std::string status;
  std::int64_t started_ms = 0;  ///< the saga's start once this batch joined it
  std::optional<std::string> reason = {};
  bool aborted = false;  ///< saga.aborted is recorded (sagas.aborted_at): only the abort can end it
};

/// The saga's steps of a batch as Decide sees them: with saga.aborted when the row says it was
/// aborted, so that its `unless` rules hold even when the stored steps are not read.
std::vector<Step> WithAbort(const SagaRow& saga, std::vector<Step> batch);
/// Whether the saga's stored steps must be read for this batch: for an open saga, when the batch
/// alone does not decide it (NeedsHistory, over WithAbort); for any saga, when the batch holds a
/// saga.expired (a final one is announced again, with its payment's money).
bool HistoryNeeded(const SagaRow& saga, const std::vector<Step>& batch);

/// What the database holds for a batch: its sagas (locked) and the stored steps of the open ones
/// whose batch steps need them (NeedsHistory), and of every saga with a saga.expired in the batch.
struct CompletionState {
  std::map<std::string, SagaRow> sagas;
  std::map<std::string, std::vector<Step>> history;
};

struct FinishRow {
  std::string order_id;
  std::string status;
  std::optional<std::string> reason;
  std::string finished_at;  ///< DATETIME text
  std::int64_t duration_ms = 0;
};

struct StepRow {
  std::string order_id;
  std::string event_id;
  std::string type;
  std::optional<std::string> reason;
  std::string at;  ///< DATETIME text
  Money money = {};
};

/// What a batch changes: the sagas that became final, the steps to record (the batch's and the
/// final ones), the events announcing the final statuses, and what to tell SSE watchers once
/// committed.
struct CompletionDecision {
  std::vector<FinishRow> finishes;
  std::vector<std::string> aborted;  ///< sagas aborted by this batch (sagas.aborted_at set)
  std::vector<StepRow> steps;
  std::vector<messaging::Emit> events;
  std::vector<SagaUpdate> updates;
};

/// The batch applied to the state; no I/O. An open saga is decided on its stored and new steps;
/// a final one only gains a late step. A saga that becomes final gets its announcing event
/// (id from `new_id`, time `now`, ISO-8601), caused by its last event in the batch;
/// order.completed carries payment.completed's amount, discount and couponId.
/// docs/adr/0017-the-order-service-owns-the-deadline.md
/// saga.expired: an open saga that its steps do not make final is aborted: saga.aborted (reason
/// TIMED_OUT, the order from the saga.expired) is emitted and recorded as a step, so from then on
/// only the aborted outcome can be reached; asked again, it is emitted again. A final saga's
/// announcing event is emitted again instead (the order service missed it), not recorded.
CompletionDecision Decide(const CompletionState& state, const std::vector<StepIn>& steps,
                          const std::string& now, const std::function<std::string()>& new_id);

}  // namespace saga::completion
