#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace saga::completion {

/// The money and coupon a step's event carries, each absent when it does not: the total of
/// stock.reserved and payment.failed, the debit and discount of payment.completed, the couponId
/// of every event of an order that has one.
struct Money {
  std::optional<std::int64_t> amount;
  std::optional<std::int64_t> discount;
  std::optional<std::string> coupon_id;
  bool operator==(const Money&) const = default;
};

struct Step {
  std::string event_type;
  std::optional<std::string> reason;  // of stock.rejected and payment.failed
  Money money = {};
};

struct Outcome {
  std::string status;  // PENDING, COMPLETED or CANCELLED
  std::optional<std::string> reason;
  std::string announced_by;  // order.completed or order.cancelled once final
  bool Final() const { return status != "PENDING"; }
};

/// The saga's status from the set of events seen so far, whatever order they came in: the first
/// outcome of the saga declaration whose required steps are all there, with the reason of its
/// reason_from step (payment.completed -> COMPLETED; stock.rejected -> CANCELLED; payment.failed
/// and stock.released, its compensation -> CANCELLED; saga.aborted, stock.aborted and
/// payment.refunded -> CANCELLED TIMED_OUT); none -> PENDING. An outcome whose `unless` step is
/// there is ruled out (once saga.aborted is recorded, only the abort can end the saga).
Outcome Decide(const std::vector<Step>& steps);

/// Whether a still-PENDING saga needs its stored steps to be decided on the events of one batch:
/// only when the batch holds part of an outcome that requires several steps. So for any stored
/// set S with Decide(S) PENDING, Decide(S + batch) == Decide(batch) unless this returns true.
bool NeedsHistory(const std::vector<Step>& batch);

/// "2026-11-21T12:00:00.123Z" -> "2026-11-21 12:00:00.123" (MySQL DATETIME(3)); throws
/// contracts::ContractError if the text is not in that form. db::IsoFromDateTime reverses it.
std::string ToDbTime(const std::string& iso);

/// Milliseconds since 1970 (UTC) of a DATETIME text "2026-11-21 12:00:00.123" (as ToDbTime makes
/// and MySQL returns DATETIME(3); fewer or no fraction digits are accepted). Throws
/// contracts::ContractError on anything else.
std::int64_t DbTimeMillis(const std::string& db_time);

}  // namespace saga::completion
