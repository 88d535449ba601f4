#include "saga/payment/payment_handler.hpp"

#include "saga/contracts/saga_events.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::payment {

void PaymentHandler::Handle(const messaging::Event& event, db::Transaction& tx) {
  namespace topics = contracts::topics;
  if (event.envelope.event_type != topics::kStockReserved) {
    throw contracts::ContractError("payment does not handle " + event.envelope.event_type);
  }
  const auto reserved =
      contracts::PayloadAs<contracts::StockReserved>(event.envelope.payload, event.envelope.event_type);
  const auto& order_id = event.envelope.order_id;
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    {
      auto& st = conn.Prepare(sql::kPaymentExists);
      st.setString(1, order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (rs->next()) return;  // this order was paid (or refused) already
    }
    std::optional<std::string> reason;
    {
      auto& st = conn.Prepare(sql::kLockAccount);
      st.setInt64(1, reserved.user_id.value);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (!rs->next()) {
        reason = contracts::reasons::kUnknownUser;
      } else if (rs->getInt64(1) < reserved.total_amount) {
        reason = contracts::reasons::kInsufficientBalance;
      }
    }
    const std::string payment_id = contracts::NewUuid();
    if (!reason) {
      auto& debit = conn.Prepare(sql::kDebit);
      debit.setInt64(1, reserved.total_amount);
      debit.setInt64(2, reserved.user_id.value);
      debit.executeUpdate();
    }
    auto& ins = conn.Prepare(sql::kInsertPayment);
    ins.setString(1, order_id);
    ins.setString(2, payment_id);
    ins.setInt64(3, reserved.user_id.value);
    ins.setInt64(4, reserved.total_amount);
    ins.setString(5, reason ? "FAILED" : "COMPLETED");
    db::BindOptional(ins, 6, reason);
    ins.executeUpdate();
    const auto envelope =
        reason ? contracts::Envelope::New(topics::kPaymentFailed, order_id,
                                          contracts::PaymentFailed{reserved.user_id, reserved.total_amount, *reason},
                                          event.envelope.event_id)
               : contracts::Envelope::New(topics::kPaymentCompleted, order_id,
                                          contracts::PaymentCompleted{reserved.user_id, reserved.total_amount, payment_id},
                                          event.envelope.event_id);
    outbox::Append(tx, envelope, event.traceparent);
  });
}

}  // namespace saga::payment
