#include "saga/payment/payment_handler.hpp"

#include <cppconn/resultset.h>

#include <map>
#include <memory>
#include <set>

#include "saga/contracts/saga_events.hpp"
#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "saga/outbox/outbox.hpp"
#include "sql.hpp"

namespace saga::payment {
namespace {

namespace topics = contracts::topics;

}  // namespace

void PaymentHandler::Handle(const messaging::Event& event, db::Transaction& tx) { HandleBatch({&event}, tx); }

void PaymentHandler::HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) {
  std::vector<contracts::StockReserved> reserved;
  std::vector<std::string> order_ids;
  std::set<std::int64_t> user_set;
  for (const auto* e : events) {
    if (e->envelope.event_type != topics::kStockReserved) {
      throw contracts::ContractError("payment does not handle " + e->envelope.event_type);
    }
    reserved.push_back(contracts::PayloadAs<contracts::StockReserved>(e->envelope.payload, e->envelope.event_type));
    order_ids.push_back(e->envelope.order_id);
    user_set.insert(reserved.back().user_id.value);
  }
  const std::vector<std::int64_t> users(user_set.begin(), user_set.end());
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    std::set<std::string> paid;  // paid (or refused) already
    db::QueryIn(conn, sql::kPaymentsHead, order_ids, [&](::sql::ResultSet& rs) {
      paid.insert(rs.getString(1).asStdString());
    });
    struct Account {
      std::int64_t balance = 0;
      bool changed = false;
    };
    std::map<std::int64_t, Account> accounts;
    db::QueryIn(conn, sql::kLockAccountsHead, users, [&](::sql::ResultSet& rs) {
      accounts[rs.getInt64(1)] = Account{rs.getInt64(2), false};
    }, sql::kLockAccountsTail);

    struct Payment {
      std::string order_id, payment_id;
      std::int64_t user_id, amount;
      std::optional<std::string> reason;
    };
    std::vector<Payment> payments;
    std::vector<outbox::Pending> out;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& order_id = order_ids[i];
      if (!paid.insert(order_id).second) continue;
      const auto& r = reserved[i];
      std::optional<std::string> reason;
      const auto it = accounts.find(r.user_id.value);
      if (it == accounts.end()) {
        reason = contracts::reasons::kUnknownUser;
      } else if (it->second.balance < r.total_amount) {
        reason = contracts::reasons::kInsufficientBalance;
      } else {
        it->second.balance -= r.total_amount;
        it->second.changed = true;
      }
      payments.push_back({order_id, contracts::NewUuid(), r.user_id.value, r.total_amount, reason});
      const auto& cause = events[i]->envelope.event_id;
      out.push_back({reason ? contracts::Envelope::New(topics::kPaymentFailed, order_id,
                                                       contracts::PaymentFailed{r.user_id, r.total_amount, *reason},
                                                       cause)
                            : contracts::Envelope::New(
                                  topics::kPaymentCompleted, order_id,
                                  contracts::PaymentCompleted{r.user_id, r.total_amount, payments.back().payment_id},
                                  cause),
                     events[i]->traceparent});
    }
    // Each changed balance once, in one statement (the rows are locked, so absolute values are safe).
    std::vector<std::pair<std::int64_t, std::int64_t>> balances;  // user, new balance
    for (const auto& [user, account] : accounts) {
      if (account.changed) balances.emplace_back(user, account.balance);
    }
    db::ExecuteRows(
        conn, sql::kSetBalancesHead, sql::kSetBalancesRow, balances.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) {
          st.setInt64(p, balances[i].first);
          st.setInt64(p + 1, balances[i].second);
        },
        sql::kSetBalancesTail, " UNION ALL ");
    db::ExecuteRows(conn, sql::kInsertPaymentsHead, sql::kInsertPaymentsRow, payments.size(),
                    [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                      const auto& pay = payments[i];
                      st.setString(p, pay.order_id);
                      st.setString(p + 1, pay.payment_id);
                      st.setInt64(p + 2, pay.user_id);
                      st.setInt64(p + 3, pay.amount);
                      st.setString(p + 4, pay.reason ? "FAILED" : "COMPLETED");
                      db::BindOptional(st, p + 5, pay.reason);
                    });
    outbox::AppendMany(tx, out);
  });
}

}  // namespace saga::payment
