#pragma once

// payment's repository for payments (balance.hpp has the one for charges): the only code of the
// service that touches the database API. Its SQL is in sql.hpp.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/payment/payment_rules.hpp"

namespace saga::payment::store {

struct StoredPayment {
  PaymentRow row;
  std::string status;      ///< COMPLETED, FAILED or REFUNDED (docs/adr/0017)
  std::string created_at;  ///< ISO-8601
};

/// A batch's state: the orders paid already and its users' balances, locked in ascending order.
PaymentState Load(db::Transaction& tx, const std::vector<PaymentEvent>& events);
/// Writes each balance of `balances` (user -> new balance; the rows are locked, so absolute values
/// are safe) in one UPDATE ... JOIN.
void SetBalances(db::Connection& conn, const std::map<std::int64_t, std::int64_t>& balances);
/// Each changed balance once, the new payments in one statement.
void Save(db::Transaction& tx, const PaymentDecision& decision);

std::optional<StoredPayment> GetPayment(db::Transaction& tx, const std::string& order_id);

}  // namespace saga::payment::store
