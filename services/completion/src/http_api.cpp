#include "saga/completion/http_api.hpp"

#include <cmath>

#include "saga/completion/saga_rules.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/db/values.hpp"
#include "saga/runtime/db_http.hpp"
#include "sql.hpp"

namespace saga::completion {
namespace {}  // namespace

http::Router MakeRouter(db::Pool& pool, std::shared_ptr<SagaWatchers> watchers) {
  http::Router r;
  r.AddStream(
      "GET", "/sagas/{orderId}/events",
      [&pool, watchers](const http::Request& req, const std::shared_ptr<http::EventStream>& stream)
          -> std::optional<http::Response> {
        const auto& order_id = req.Param("orderId");
        if (order_id.size() > 64) throw http::ValidationFailed("orderId", "orderId is too long");
        // Watch first, then replay: a step committed in between arrives by either path and
        // is sent once (by eventId); live updates wait until the replay has been sent.
        auto watcher = std::make_shared<Watcher>(stream);
        watchers->Add(order_id, watcher);
        try {
          db::InTransaction(pool, [&](db::Transaction& tx) {
            auto& conn = tx.Conn();
            std::optional<nlohmann::json> final;
            {
              auto& st = conn.Prepare(sql::kGetSaga);
              st.setString(1, order_id);
              std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
              if (rs->next() && rs->getString(1).asStdString() != "PENDING") {
                final = nlohmann::json{{"orderId", order_id},
                                       {"status", rs->getString(1).asStdString()},
                                       {"reason", contracts::OrNull(db::OptionalString(*rs, 2))}};
              }
            }
            auto& st = conn.Prepare(sql::kGetStepsWithIds);
            st.setString(1, order_id);
            std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
            while (rs->next()) {
              nlohmann::json step{{"eventId", rs->getString(1).asStdString()},
                                  {"event", rs->getString(2).asStdString()},
                                  {"at", db::IsoFromDateTime(rs->getString(3).asStdString())}};
              if (auto why = db::OptionalString(*rs, 4)) step["reason"] = *why;
              watcher->ReplayStep(step);
            }
            tx.Commit();
            watcher->EndReplay(final);
            if (final) watchers->Remove(order_id, watcher);  // nothing more will come for it
          });
        } catch (const db::Error& e) {
          stream->Close();
          if (e.IsRetryable())
            throw http::HttpError(503, "UNAVAILABLE", "database temporarily unavailable");
          throw;
        }
        return std::nullopt;
      });
  r.Add("GET", "/sagas/stats", [&pool](const http::Request&) {
    return runtime::WithDatabase([&] {
      return db::InTransaction(pool, [](db::Transaction& tx) {
        auto& conn = tx.Conn();
        nlohmann::json counts{{"PENDING", 0}, {"COMPLETED", 0}, {"CANCELLED", 0}};
        std::int64_t total = 0;
        {
          std::unique_ptr<::sql::ResultSet> rs(conn.Prepare(sql::kCountByStatus).executeQuery());
          while (rs->next()) {
            counts[rs->getString(1).asStdString()] = rs->getInt64(2);
            total += rs->getInt64(2);
          }
        }
        nlohmann::json cancelled_by = nlohmann::json::object();
        {
          std::unique_ptr<::sql::ResultSet> rs(
              conn.Prepare(sql::kCountCancelledByReason).executeQuery());
          while (rs->next()) cancelled_by[rs->getString(1).asStdString()] = rs->getInt64(2);
        }
        std::int64_t finished = 0;
        {
          std::unique_ptr<::sql::ResultSet> rs(conn.Prepare(sql::kCountFinished).executeQuery());
          rs->next();
          finished = rs->getInt64(1);
        }
        nlohmann::json durations{
            {"count", finished}, {"p50", nullptr}, {"p95", nullptr}, {"p99", nullptr}};
        for (const auto& [name, q] : {std::pair{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}}) {
          if (finished == 0) break;
          // Nearest-rank percentile: the ceil(q * n)-th smallest duration.
          const auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(finished)));
          auto& st = conn.Prepare(sql::kNthDuration);
          st.setInt64(1, std::max<std::int64_t>(rank, 1) - 1);
          std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
          if (rs->next()) durations[name] = rs->getInt64(1);
        }
        tx.Commit();
        return http::Response::Json(200, {{"counts", counts},
                                          {"cancelledBy", cancelled_by},
                                          {"total", total},
                                          {"durationMs", durations}});
      });
    });
  });
  r.Add("GET", "/sagas/{orderId}", [&pool](const http::Request& req) {
    const auto& order_id = req.Param("orderId");
    return runtime::WithDatabase([&] {
      return db::InTransaction(pool, [&](db::Transaction& tx) {
        auto& conn = tx.Conn();
        nlohmann::json body{{"orderId", order_id}};
        {
          auto& st = conn.Prepare(sql::kGetSaga);
          st.setString(1, order_id);
          std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
          if (!rs->next()) {
            throw http::HttpError(404, "SAGA_NOT_FOUND", "no event seen yet for order " + order_id,
                                  "orderId");
          }
          body["status"] = rs->getString(1).asStdString();
          body["reason"] = contracts::OrNull(db::OptionalString(*rs, 2));
          body["startedAt"] = db::IsoFromDateTime(rs->getString(3).asStdString());
          const auto finished = db::OptionalString(*rs, 4);
          body["finishedAt"] =
              finished ? nlohmann::json(db::IsoFromDateTime(*finished)) : nlohmann::json();
          body["durationMs"] = rs->isNull(5) ? nlohmann::json() : nlohmann::json(rs->getInt64(5));
        }
        auto& st = conn.Prepare(sql::kGetSteps);
        st.setString(1, order_id);
        std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
        nlohmann::json steps = nlohmann::json::array();
        while (rs->next()) {
          nlohmann::json step{{"event", rs->getString(1).asStdString()},
                              {"at", db::IsoFromDateTime(rs->getString(2).asStdString())}};
          if (auto why = db::OptionalString(*rs, 3)) step["reason"] = *why;
          steps.push_back(std::move(step));
        }
        body["steps"] = steps;
        tx.Commit();
        return http::Response::Json(200, body);
      });
    });
  });
  return r;
}

}  // namespace saga::completion
