#include "saga/completion/completion_handler.hpp"

#include <algorithm>

#include "saga/completion/saga_rules.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::completion {
namespace {

namespace topics = contracts::topics;

// Checks the payload against its contract; returns the reason it carries, if any.
std::optional<std::string> CheckPayload(const contracts::Envelope& env) {
  const auto& t = env.event_type;
  const auto& p = env.payload;
  if (t == topics::kOrderCreated) {
    contracts::PayloadAs<contracts::OrderCreated>(p, t);
  } else if (t == topics::kStockReserved) {
    contracts::PayloadAs<contracts::StockReserved>(p, t);
  } else if (t == topics::kStockRejected) {
    return contracts::PayloadAs<contracts::StockRejected>(p, t).reason;
  } else if (t == topics::kPaymentCompleted) {
    contracts::PayloadAs<contracts::PaymentCompleted>(p, t);
  } else if (t == topics::kPaymentFailed) {
    return contracts::PayloadAs<contracts::PaymentFailed>(p, t).reason;
  } else if (t == topics::kStockReleased) {
    contracts::PayloadAs<contracts::StockReleased>(p, t);
  } else {
    throw contracts::ContractError("completion does not handle " + t);
  }
  return std::nullopt;
}

void InsertStep(db::Connection& conn, const std::string& order_id, const std::string& event_id,
                const std::string& type, const std::optional<std::string>& reason,
                const std::string& occurred_db) {
  auto& st = conn.Prepare(sql::kInsertStep);
  st.setString(1, order_id);
  st.setString(2, event_id);
  st.setString(3, type);
  db::BindOptional(st, 4, reason);
  st.setString(5, occurred_db);
  st.executeUpdate();
}

}  // namespace

std::vector<std::string> SagaTopics() {
  return {topics::kOrderCreated,     topics::kStockReserved, topics::kStockRejected,
          topics::kPaymentCompleted, topics::kPaymentFailed, topics::kStockReleased};
}

CompletionHandler::CompletionHandler(std::shared_ptr<SagaWatchers> watchers,
                                     metrics::Registry* registry)
    : watchers_(std::move(watchers)) {
  if (registry == nullptr) return;
  finished_total_ = &prometheus::BuildCounter()
                         .Name("sagas_finished_total")
                         .Help("Sagas that reached a final status, by status and reason")
                         .Register(registry->Raw());
  duration_ = &prometheus::BuildHistogram()
                   .Name("saga_duration_seconds")
                   .Help("Saga time: first event (order.created) to final status")
                   .Register(registry->Raw());
}

void CompletionHandler::Prepare(const std::vector<messaging::Event>&, db::Transaction&) {
  pending_.clear();  // a retried attempt starts over
  finished_.clear();
}

void CompletionHandler::Committed() {
  if (watchers_) watchers_->Publish(pending_);
  pending_.clear();
  if (finished_total_ != nullptr) {
    for (const auto& f : finished_) {
      finished_total_->Add({{"status", f.status}, {"reason", f.reason}}).Increment();
      duration_->Add({{"status", f.status}}, metrics::LatencyBuckets()).Observe(f.seconds);
    }
  }
  finished_.clear();
}

void CompletionHandler::Handle(const messaging::Event& event, db::Transaction& tx) {
  const auto& env = event.envelope;
  const auto reason = CheckPayload(env);
  const auto occurred = ToDbTime(env.occurred_at);
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    {
      auto& st = conn.Prepare(sql::kEnsureSaga);
      st.setString(1, env.order_id);
      st.setString(2, occurred);
      st.executeUpdate();
    }
    std::string status;
    std::int64_t started_ms = 0;  // the saga's start once this event joined it
    {
      auto& st = conn.Prepare(sql::kLockSaga);
      st.setString(1, env.order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      rs->next();
      status = rs->getString(1).asStdString();
      started_ms = std::min(DbTimeMillis(rs->getString(2).asStdString()), DbTimeMillis(occurred));
    }
    {
      auto& st = conn.Prepare(sql::kEarlierStart);
      st.setString(1, occurred);
      st.setString(2, occurred);
      st.setString(3, env.order_id);
      st.setString(4, occurred);
      st.executeUpdate();
    }
    InsertStep(conn, env.order_id, env.event_id, env.event_type, reason, occurred);
    auto step_json = [](const contracts::Envelope& e, const std::optional<std::string>& why) {
      nlohmann::json j{{"eventId", e.event_id}, {"event", e.event_type}, {"at", e.occurred_at}};
      if (why) j["reason"] = *why;
      return j;
    };
    pending_.push_back({env.order_id, {step_json(env, reason)}, std::nullopt});
    if (status != "PENDING") return;  // final already: a late step only joins the timeline

    std::vector<Step> steps;
    {
      auto& st = conn.Prepare(sql::kSelectStepTypes);
      st.setString(1, env.order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) {
        steps.push_back({rs->getString(1).asStdString(), db::OptionalString(*rs, 2)});
      }
    }
    const auto outcome = Decide(steps);
    if (!outcome.Final()) return;
    const bool completed = outcome.status == "COMPLETED";
    const auto final_event = contracts::Envelope::New(
        completed ? topics::kOrderCompleted : topics::kOrderCancelled, env.order_id,
        contracts::OrderFinished{outcome.reason}, env.event_id);
    const auto finished = ToDbTime(final_event.occurred_at);
    const auto duration_ms = DbTimeMillis(finished) - started_ms;
    auto& st = conn.Prepare(sql::kFinish);
    st.setString(1, outcome.status);
    db::BindOptional(st, 2, outcome.reason);
    st.setString(3, finished);
    st.setInt64(4, duration_ms);
    st.setString(5, env.order_id);
    st.executeUpdate();
    finished_.push_back({outcome.status, outcome.reason.value_or("none"),
                         static_cast<double>(duration_ms) / 1000.0});
    InsertStep(conn, env.order_id, final_event.event_id, final_event.event_type, outcome.reason, finished);
    outbox::Append(tx, final_event, event.traceparent);
    auto& update = pending_.back();
    update.steps.push_back(step_json(final_event, outcome.reason));
    update.final = nlohmann::json{{"orderId", env.order_id},
                                  {"status", outcome.status},
                                  {"reason", contracts::OrNull(outcome.reason)}};
  });
}

}  // namespace saga::completion
