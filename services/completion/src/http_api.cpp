#include "saga/completion/http_api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string_view>

#include "completion_store.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/runtime/db_http.hpp"

namespace saga::completion {
namespace {

// The longest olderThanMs of GET /sagas: about 31 years.
constexpr std::int64_t kMaxOlderThanMs = 1'000'000'000'000;

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

// GET /sagas/stats: counts by status and reason; durations as nearest-rank percentiles; the
// oldest PENDING saga.
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
    const auto oldest = store::GetOldestPending(tx);
    return http::Response::Json(
        200, {{"counts", counts},
              {"cancelledBy", stats.cancelled_by},
              {"total", total},
              {"durationMs", durations},
              {"oldestPending", oldest ? nlohmann::json(oldest->order_id) : nlohmann::json()},
              {"oldestPendingAgeMs", oldest ? nlohmann::json(oldest->age_ms) : nlohmann::json()}});
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

// --- GET /sagas ------------------------------------------------------------------------------

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// RFC 4648 base64url without padding: a cursor needs no escaping in a query string.
std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (const unsigned char c : in) {
    bits = (bits << 8) | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += kBase64Url[(bits >> held) & 0x3f];
    }
  }
  if (held > 0) out += kBase64Url[(bits << (6 - held)) & 0x3f];
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t bits = 0;
  int held = 0;
  for (const char c : in) {
    const auto v = kBase64Url.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>((bits >> held) & 0xff);
    }
  }
  if ((bits & ((1u << held) - 1)) != 0) return std::nullopt;  // not how an encoder ends
  return out;
}

// "2026-11-21 12:00:00.123" from "2026-11-21T12:00:00.123Z" if that is a real UTC time.
std::optional<std::string> DbTimeOfIso(std::string_view iso) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (iso.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < iso.size(); ++i) {
    const bool digit = iso[i] >= '0' && iso[i] <= '9';
    if (kShape[i] == 'd' ? !digit : iso[i] != kShape[i]) return std::nullopt;
  }
  const auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    std::from_chars(iso.data() + at, iso.data() + at + len, v);
    return v;
  };
  const std::chrono::year_month_day day{std::chrono::year{num(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(num(5, 2))},
                                        std::chrono::day{static_cast<unsigned>(num(8, 2))}};
  if (!day.ok() || num(0, 4) < 1000 || num(11, 2) > 23 || num(14, 2) > 59 || num(17, 2) > 59) {
    return std::nullopt;
  }
  std::string db(iso.substr(0, iso.size() - 1));
  db[10] = ' ';
  return db;
}

// The cursor of the page after `last`: base64url of "<startedAt ISO>|<orderId>".
std::string CursorAfter(const store::SagaListItem& last) {
  return Base64UrlEncode(last.started_at + "|" + last.order_id);
}

store::SagaKey ParseCursor(const std::string& cursor) {
  const auto bad = [] {
    return http::ValidationFailed("after", "after must be the `next` cursor of an earlier page");
  };
  const auto text = Base64UrlDecode(cursor);
  if (!text) throw bad();
  const auto bar = text->find('|');
  if (bar == std::string::npos) throw bad();
  const auto at = DbTimeOfIso(std::string_view(*text).substr(0, bar));
  auto order_id = text->substr(bar + 1);
  if (!at || order_id.empty() || order_id.size() > 64) throw bad();
  return {*at, std::move(order_id)};
}

std::optional<std::int64_t> QueryInt(const http::Request& req, const char* name, std::int64_t min,
                                     std::int64_t max) {
  const auto raw = req.Query(name);
  if (!raw) return std::nullopt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || p != raw->data() + raw->size() || v < min || v > max) {
    throw http::ValidationFailed(name, std::string(name) + " must be an integer from " +
                                           std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The statuses and reasons come from the saga declaration: PENDING and its outcomes' statuses.
store::SagaListQuery ParseListQuery(const http::Request& req) {
  const auto& saga = contracts::Saga();
  std::vector<std::string> statuses{"PENDING"};
  for (const auto& o : saga.outcomes) {
    if (std::find(statuses.begin(), statuses.end(), o.status) == statuses.end()) {
      statuses.emplace_back(o.status);
    }
  }
  store::SagaListQuery q;
  q.status = req.Query("status").value_or("");
  if (std::find(statuses.begin(), statuses.end(), q.status) == statuses.end()) {
    throw http::ValidationFailed("status", "status must be one of " + Joined(statuses));
  }
  const auto reasons = saga.Reasons();
  if (const auto reason = req.Query("reason")) {
    if (q.status != "CANCELLED") {
      throw http::ValidationFailed("reason", "reason applies only to status=CANCELLED");
    }
    if (std::find(reasons.begin(), reasons.end(), *reason) == reasons.end()) {
      throw http::ValidationFailed("reason", "reason must be one of " + Joined(reasons));
    }
    q.reasons.emplace_back(*reason);
  } else {
    // A PENDING or COMPLETED saga has no reason; a CANCELLED one of any reason is one range per
    // reason (and one for none).
    q.reasons.emplace_back(std::nullopt);
    if (q.status == "CANCELLED") q.reasons.insert(q.reasons.end(), reasons.begin(), reasons.end());
  }
  q.older_than_ms = QueryInt(req, "olderThanMs", 0, kMaxOlderThanMs);
  q.limit = static_cast<int>(QueryInt(req, "limit", 1, 1000).value_or(100));
  if (const auto after = req.Query("after")) q.after = ParseCursor(*after);
  return q;
}

// GET /sagas?status=&reason=&olderThanMs=&limit=&after=: oldest first, keyset-paginated.
http::Response ListSagas(db::Pool& pool, const http::Request& req) {
  auto q = ParseListQuery(req);
  const auto limit = q.limit;
  ++q.limit;  // one more than the page tells whether another page follows
  auto items =
      runtime::Transact(pool, [&](db::Transaction& tx) { return store::ListSagas(tx, q); });
  const bool more = items.size() > static_cast<std::size_t>(limit);
  if (more) items.resize(static_cast<std::size_t>(limit));
  nlohmann::json sagas = nlohmann::json::array();
  for (const auto& s : items) {
    sagas.push_back({{"orderId", s.order_id},
                     {"status", s.status},
                     {"reason", contracts::OrNull(s.reason)},
                     {"startedAt", s.started_at},
                     {"ageMs", s.age_ms},
                     {"finishedAt", contracts::OrNull(s.finished_at)},
                     {"durationMs", contracts::OrNull(s.duration_ms)}});
  }
  return http::Response::Json(
      200, {{"sagas", sagas},
            {"next", more ? nlohmann::json(CursorAfter(items.back())) : nlohmann::json()}});
}

}  // namespace

http::Router MakeRouter(db::Pool& pool, std::shared_ptr<SagaWatchers> watchers) {
  http::Router r;
  r.AddStream("GET", "/sagas/{orderId}/events",
              [&pool, watchers](const http::Request& req,
                                const std::shared_ptr<http::EventStream>& stream) {
                return StreamSaga(pool, *watchers, req, stream);
              });
  r.Add("GET", "/sagas", [&pool](const http::Request& req) { return ListSagas(pool, req); });
  r.Add("GET", "/sagas/stats", [&pool](const http::Request&) { return GetStats(pool); });
  r.Add("GET", "/sagas/{orderId}",
        [&pool](const http::Request& req) { return GetSaga(pool, req); });
  return r;
}

}  // namespace saga::completion
