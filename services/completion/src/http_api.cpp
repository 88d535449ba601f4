#include "saga/completion/http_api.hpp"

#include <cmath>

#include "completion_store.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/runtime/db_http.hpp"

namespace saga::completion {
namespace {

nlohmann::json StepJson(const store::StepView& s, bool with_id) {
  nlohmann::json j{{"event", s.type}, {"at", s.at}};
  if (with_id) j["eventId"] = s.event_id;
  if (s.reason) j["reason"] = *s.reason;
  AddMoney(j, s.money);
  return j;
}

// GET /sagas/{orderId}/events: watch first, then replay. A step committed in between arrives by
// either path and is sent once (by eventId); live updates wait until the replay has been sent.
std::optional<http::Response> StreamSaga(db::Pool& pool, SagaWatchers& watchers,
                                         const http::Request& req,
                                         const std::shared_ptr<http::EventStream>& stream) {
  const auto& order_id = req.Param("orderId");
  if (order_id.size() > 64) throw http::ValidationFailed("orderId", "orderId is too long");
  auto watcher = std::make_shared<Watcher>(stream);
  watchers.Add(order_id, watcher);
  try {
    db::InTransaction(pool, [&](db::Transaction& tx) {
      std::optional<nlohmann::json> final;
      if (const auto saga = store::GetSaga(tx, order_id); saga && saga->status != "PENDING") {
        final = nlohmann::json{{"orderId", order_id},
                               {"status", saga->status},
                               {"reason", contracts::OrNull(saga->reason)}};
      }
      for (const auto& step : store::GetSteps(tx, order_id))
        watcher->ReplayStep(StepJson(step, true));
      tx.Commit();
      watcher->EndReplay(final);
      if (final) watchers.Remove(order_id, watcher);  // nothing more will come for it
    });
  } catch (const db::Error& e) {
    stream->Close();
    if (e.IsRetryable())
      throw http::HttpError(503, "UNAVAILABLE", "database temporarily unavailable");
    throw;
  }
  return std::nullopt;
}

// GET /sagas/stats: counts by status and reason; durations as nearest-rank percentiles.
http::Response GetStats(db::Pool& pool) {
  return runtime::Transact(pool, [](db::Transaction& tx) {
    const auto stats = store::GetStats(tx);
    nlohmann::json counts{{"PENDING", 0}, {"COMPLETED", 0}, {"CANCELLED", 0}};
    std::int64_t total = 0;
    for (const auto& [status, n] : stats.by_status) {
      counts[status] = n;
      total += n;
    }
    nlohmann::json durations{
        {"count", stats.finished}, {"p50", nullptr}, {"p95", nullptr}, {"p99", nullptr}};
    for (const auto& [name, q] : {std::pair{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}}) {
      if (stats.finished == 0) break;
      // The ceil(q * n)-th smallest duration.
      const auto rank =
          static_cast<std::int64_t>(std::ceil(q * static_cast<double>(stats.finished)));
      if (const auto ms = store::NthDuration(tx, rank)) durations[name] = *ms;
    }
    return http::Response::Json(200, {{"counts", counts},
                                      {"cancelledBy", stats.cancelled_by},
                                      {"total", total},
                                      {"durationMs", durations}});
  });
}

// GET /sagas/{orderId}: the saga and its steps; 404 until its first event arrived.
http::Response GetSaga(db::Pool& pool, const http::Request& req) {
  const auto& order_id = req.Param("orderId");
  return runtime::Transact(pool, [&](db::Transaction& tx) {
    const auto saga = store::GetSaga(tx, order_id);
    if (!saga) {
      throw http::HttpError(404, "SAGA_NOT_FOUND", "no event seen yet for order " + order_id,
                            "orderId");
    }
    nlohmann::json steps = nlohmann::json::array();
    std::optional<std::string> coupon_id;
    std::optional<std::int64_t> discount;  // once payment.completed is recorded
    for (const auto& step : store::GetSteps(tx, order_id)) {
      steps.push_back(StepJson(step, false));
      if (step.money.coupon_id) coupon_id = step.money.coupon_id;
      if (step.type == contracts::PaymentCompleted::kType) discount = step.money.discount;
    }
    return http::Response::Json(200, {{"orderId", order_id},
                                      {"status", saga->status},
                                      {"reason", contracts::OrNull(saga->reason)},
                                      {"startedAt", saga->started_at},
                                      {"finishedAt", contracts::OrNull(saga->finished_at)},
                                      {"durationMs", contracts::OrNull(saga->duration_ms)},
                                      {"couponId", contracts::OrNull(coupon_id)},
                                      {"discount", contracts::OrNull(discount)},
                                      {"steps", steps}});
  });
}

}  // namespace

http::Router MakeRouter(db::Pool& pool, std::shared_ptr<SagaWatchers> watchers) {
  http::Router r;
  r.AddStream("GET", "/sagas/{orderId}/events",
              [&pool, watchers](const http::Request& req,
                                const std::shared_ptr<http::EventStream>& stream) {
                return StreamSaga(pool, *watchers, req, stream);
              });
  r.Add("GET", "/sagas/stats", [&pool](const http::Request&) { return GetStats(pool); });
  r.Add("GET", "/sagas/{orderId}",
        [&pool](const http::Request& req) { return GetSaga(pool, req); });
  return r;
}

}  // namespace saga::completion
