#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "saga/db/pool.hpp"

namespace saga::payment {

struct ChargeResult {
  std::int64_t user_id = 0;
  std::int64_t previous_balance = 0;
  std::int64_t charged_amount = 0;
  std::int64_t current_balance = 0;
  bool replayed = false;
};

/// The key was used before for another user or amount.
class ChargeKeyConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The charge would take the balance past the money limit (contracts::kMaxAmount); nothing changed.
class BalanceOutOfRange : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One POST /users/{userId}/balance/charge.
struct ChargeRequest {
  std::int64_t user_id = 0;
  std::int64_t amount = 0;
  std::optional<std::string> idempotency_key;
};

/// A charge's answer: the result, or why it changed nothing (`refusal`: IDEMPOTENCY_KEY_REUSED for
/// a key used before for another user or amount; BALANCE_OUT_OF_RANGE for a balance that would
/// pass the money limit), with a message.
struct ChargeOutcome {
  ChargeResult result;
  std::string refusal;
  std::string message;
};

/// Adds each request's amount to its user's balance, in order, for a batch (group commit,
/// db::GroupCommit; its keys are distinct): the keys seen before are read first (a repeat returns
/// the first answer and changes nothing), new users get an account at 0, the accounts are locked
/// in one statement (ascending user id), and the new balances and keyed answers are written in
/// one statement each. Concurrent batches serialise on the account rows, so no credit is lost.
/// A key stored by a concurrent batch after it was read fails the batch with a duplicate key
/// (db::Error), and GroupCommit writes its requests again one at a time.
std::vector<ChargeOutcome> ChargeMany(db::Transaction& tx, const std::vector<const ChargeRequest*>& requests);

std::optional<std::int64_t> Balance(db::Transaction& tx, std::int64_t user_id);

}  // namespace saga::payment
