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

/// Adds `amount` to the user's balance (creating the account at 0 if new). Concurrent charges of
/// one user serialise on the account row, so none is lost. With a key, a repeat returns the
/// first answer and changes nothing. Throws BalanceOutOfRange (before any change) if the new
/// balance would be past the money limit.
ChargeResult Charge(db::Transaction& tx, std::int64_t user_id, std::int64_t amount,
                    const std::optional<std::string>& idempotency_key);

std::optional<std::int64_t> Balance(db::Transaction& tx, std::int64_t user_id);

}  // namespace saga::payment
