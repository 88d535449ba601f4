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

/// Runs `head` + "?, ?, ..." + `tail` over `keys` in chunks, calling `row` for each result row.
template <typename Key, typename Row>
void ForEachChunk(db::Connection& conn, const char* head, const std::vector<Key>& keys, Row&& row,
                  const char* tail = ")") {
  std::size_t at = 0;
  for (const auto k : db::ChunkSizes(keys.size())) {
    auto& st = conn.Prepare(db::RepeatRows(head, "?", k, tail));
    for (std::size_t i = 0; i < k; ++i) {
      if constexpr (std::is_same_v<Key, std::string>) {
        st.setString(static_cast<int>(i + 1), keys[at + i]);
      } else {
        st.setInt64(static_cast<int>(i + 1), keys[at + i]);
      }
    }
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) row(*rs);
    at += k;
  }
}

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
    ForEachChunk(conn, sql::kPaymentsHead, order_ids, [&](::sql::ResultSet& rs) {
      paid.insert(rs.getString(1).asStdString());
    });
    struct Account {
      std::int64_t balance = 0;
      bool changed = false;
    };
    std::map<std::int64_t, Account> accounts;
    ForEachChunk(conn, sql::kLockAccountsHead, users, [&](::sql::ResultSet& rs) {
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
    // Each changed balance once (its row is locked, so the absolute value is safe).
    for (const auto& [user, account] : accounts) {
      if (!account.changed) continue;
      auto& st = conn.Prepare(sql::kSetBalance);
      st.setInt64(1, account.balance);
      st.setInt64(2, user);
      st.executeUpdate();
    }
    std::size_t at = 0;
    for (const auto k : db::ChunkSizes(payments.size())) {
      auto& st = conn.Prepare(db::RepeatRows(sql::kInsertPaymentsHead, sql::kInsertPaymentsRow, k));
      for (std::size_t j = 0; j < k; ++j) {
        const auto& p = payments[at + j];
        const int base = static_cast<int>(6 * j);
        st.setString(base + 1, p.order_id);
        st.setString(base + 2, p.payment_id);
        st.setInt64(base + 3, p.user_id);
        st.setInt64(base + 4, p.amount);
        st.setString(base + 5, p.reason ? "FAILED" : "COMPLETED");
        db::BindOptional(st, base + 6, p.reason);
      }
      st.executeUpdate();
      at += k;
    }
    outbox::AppendMany(tx, out);
  });
}

}  // namespace saga::payment
