#include "saga/completion/completion_handler.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

#include "saga/completion/saga_rules.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/rows.hpp"
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
  HandleBatch({&event}, tx);
}

// The whole batch in a few multi-row statements: saga rows ensured and locked together, the
// stored steps of the few sagas that need them read together; then one UPDATE for the sagas that
// became final, one INSERT for the batch's steps and the final ones, and one outbox row per final
// saga.
void CompletionHandler::HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) {
  struct Incoming {
    const contracts::Envelope* env;
    std::optional<std::string> reason;
    std::string occurred;  // DATETIME text
  };
  struct Saga {
    std::string earliest;          // earliest occurrence among this batch's events
    std::string status;            // after the lock
    std::int64_t started_ms = 0;   // the saga's start once this batch joined it
    std::size_t last_update = 0;   // index in pending_ of its last event in this batch
  };
  std::vector<Incoming> in;
  in.reserve(events.size());
  std::map<std::string, Saga> sagas;  // sorted: rows are locked in one fixed order
  for (const auto* e : events) {
    in.push_back({&e->envelope, CheckPayload(e->envelope), ToDbTime(e->envelope.occurred_at)});
    auto [it, added] = sagas.try_emplace(e->envelope.order_id, Saga{in.back().occurred, "", 0, 0});
    if (!added && in.back().occurred < it->second.earliest) it->second.earliest = in.back().occurred;
  }
  std::vector<std::string> ids;
  for (const auto& [id, _] : sagas) ids.push_back(id);

  struct StepRow {
    const std::string* order_id;
    const std::string* event_id;
    const std::string* type;
    std::optional<std::string> reason;
    std::string at;  // DATETIME text
  };

  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    db::ExecuteRows(
        conn, sql::kEnsureSagasHead, sql::kEnsureSagasRow, ids.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) {
          st.setString(p, ids[i]);
          st.setString(p + 1, sagas.at(ids[i]).earliest);
        },
        sql::kEnsureSagasTail);
    std::vector<const std::string*> earlier;  // sagas that started before their recorded start (rare)
    db::QueryIn(
        conn, sql::kLockSagasHead, ids,
        [&](::sql::ResultSet& rs) {
          auto it = sagas.find(rs.getString(1).asStdString());
          auto& saga = it->second;
          saga.status = rs.getString(2).asStdString();
          const auto stored_ms = DbTimeMillis(rs.getString(3).asStdString());
          const auto earliest_ms = DbTimeMillis(saga.earliest);
          saga.started_ms = std::min(stored_ms, earliest_ms);
          if (earliest_ms < stored_ms) earlier.push_back(&it->first);
        },
        sql::kLockSagasTail);
    for (const auto* id : earlier) {
      auto& up = conn.Prepare(sql::kEarlierStart);
      const auto& earliest = sagas.at(*id).earliest;
      up.setString(1, earliest);
      up.setString(2, earliest);
      up.setString(3, *id);
      up.setString(4, earliest);
      up.executeUpdate();
    }
    auto step_json = [](const contracts::Envelope& e, const std::optional<std::string>& why) {
      nlohmann::json j{{"eventId", e.event_id}, {"event", e.event_type}, {"at", e.occurred_at}};
      if (why) j["reason"] = *why;
      return j;
    };
    for (const auto& x : in) {
      pending_.push_back({x.env->order_id, {step_json(*x.env, x.reason)}, std::nullopt});
      sagas.at(x.env->order_id).last_update = pending_.size() - 1;
    }

    // Sagas already final only gain a late step. An open saga is decided on this batch's steps,
    // unless they hold half of a payment.failed + stock.released pair: only then are its stored
    // steps read and added to them. This batch's steps are not stored yet: they go in one INSERT
    // with the final steps below. A redelivered step may then count twice, which cannot change
    // what Decide returns.
    std::map<std::string, std::vector<Step>> steps;
    for (const auto& x : in) {
      if (sagas.at(x.env->order_id).status == "PENDING") {
        steps[x.env->order_id].push_back({x.env->event_type, x.reason});
      }
    }
    std::vector<std::string> open, history;
    for (auto& [id, batch] : steps) {
      open.push_back(id);
      if (NeedsHistory(batch)) history.push_back(id);
    }
    db::QueryIn(conn, sql::kSelectStepTypesHead, history, [&](::sql::ResultSet& rs) {
      steps[rs.getString(1).asStdString()].push_back({rs.getString(2).asStdString(), db::OptionalString(rs, 3)});
    });
    struct FinalStep {
      std::string order_id, event_id, type;
      std::optional<std::string> reason;
      std::string at;
    };
    std::vector<FinalStep> final_steps;
    struct Finish {
      std::string order_id, status;
      std::optional<std::string> reason;
      std::string finished_at;
      std::int64_t duration_ms;
    };
    std::vector<Finish> finishes;
    std::vector<outbox::Pending> out;
    std::unordered_map<std::string_view, const messaging::Event*> by_event_id;  // the final event's cause
    for (const auto* e : events) by_event_id[e->envelope.event_id] = e;
    final_steps.reserve(open.size());
    for (const auto& order_id : open) {
      const auto* id = &order_id;
      const auto outcome = Decide(steps[*id]);
      if (!outcome.Final()) continue;
      auto& saga = sagas.at(*id);
      auto& update = pending_[saga.last_update];
      const bool completed = outcome.status == "COMPLETED";
      const auto& cause = update.steps.front().at("eventId").get_ref<const std::string&>();
      const auto final_event = contracts::Envelope::New(
          completed ? topics::kOrderCompleted : topics::kOrderCancelled, *id,
          contracts::OrderFinished{outcome.reason}, cause);
      const auto finished = ToDbTime(final_event.occurred_at);
      const auto duration_ms = DbTimeMillis(finished) - saga.started_ms;
      finishes.push_back({*id, outcome.status, outcome.reason, finished, duration_ms});
      finished_.push_back({outcome.status, outcome.reason.value_or("none"),
                           static_cast<double>(duration_ms) / 1000.0});
      const auto traced = by_event_id.find(cause);
      const auto* trace = traced == by_event_id.end() ? events[0] : traced->second;
      update.steps.push_back(step_json(final_event, outcome.reason));
      final_steps.push_back({*id, final_event.event_id, final_event.event_type, outcome.reason, finished});
      out.push_back({final_event, trace->traceparent});
      update.final = nlohmann::json{{"orderId", *id},
                                    {"status", outcome.status},
                                    {"reason", contracts::OrNull(outcome.reason)}};
    }
    db::ExecuteRows(
        conn, sql::kFinishHead, sql::kFinishRow, finishes.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) {
          const auto& f = finishes[i];
          st.setString(p, f.order_id);
          st.setString(p + 1, f.status);
          db::BindOptional(st, p + 2, f.reason);
          st.setString(p + 3, f.finished_at);
          st.setInt64(p + 4, f.duration_ms);
        },
        sql::kFinishTail, sql::kFinishSeparator);
    std::vector<StepRow> step_rows;
    step_rows.reserve(in.size() + final_steps.size());
    for (const auto& x : in) {
      step_rows.push_back({&x.env->order_id, &x.env->event_id, &x.env->event_type, x.reason, x.occurred});
    }
    for (const auto& f : final_steps) step_rows.push_back({&f.order_id, &f.event_id, &f.type, f.reason, f.at});
    db::ExecuteRows(conn, sql::kInsertStepsHead, sql::kInsertStepsRow, step_rows.size(),
                    [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                      st.setString(p, *step_rows[i].order_id);
                      st.setString(p + 1, *step_rows[i].event_id);
                      st.setString(p + 2, *step_rows[i].type);
                      db::BindOptional(st, p + 3, step_rows[i].reason);
                      st.setString(p + 4, step_rows[i].at);
                    });
    outbox::AppendMany(tx, out);
  });
}

}  // namespace saga::completion
