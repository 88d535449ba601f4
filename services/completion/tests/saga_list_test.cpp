#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "saga/completion/http_api.hpp"
#include "support/stack.hpp"

namespace {

using saga::http::HttpError;

// GET /sagas and GET /sagas/stats of completion's router on a scratch copy of completion_db.
struct Api {
  saga::test::ScratchSchema schema{"completion_db"};
  saga::db::Pool pool{schema.Db()};
  saga::http::Router router =
      saga::completion::MakeRouter(pool, std::make_shared<saga::completion::SagaWatchers>());
  std::string now = Now();  // the sagas' times count back from here, so that ties are exact

  std::string Now() const {
    saga::db::Connection conn(schema.Db());
    auto rs = conn.Query("SELECT CAST(UTC_TIMESTAMP(3) AS CHAR)");
    rs->next();
    std::string text = rs->getString(1).asStdString();
    conn.Commit();
    return text;
  }

  nlohmann::json Get(const std::string& target) const {
    saga::http::RawRequest raw{boost::beast::http::verb::get, target, 11};
    const auto path = target.substr(0, target.find('?'));
    const auto match = router.Find("GET", path);
    REQUIRE(match.route != nullptr);
    const auto res = match.route->handler(saga::http::Request(raw, match.params, ""));
    REQUIRE(res.status == 200);
    return nlohmann::json::parse(res.body);
  }

  // The field a refused request names (400 VALIDATION_FAILED), or "" if it was not refused.
  std::string Refused(const std::string& target) const {
    try {
      Get(target);
    } catch (const HttpError& e) {
      CHECK(e.Status() == 400);
      CHECK(e.Code() == "VALIDATION_FAILED");
      return e.Field();
    }
    return "";
  }

  // Every page of `query` with `limit`, following `next`: the orderIds in order.
  std::vector<std::string> Walk(const std::string& query, int limit) const {
    std::vector<std::string> ids;
    std::string after;
    for (int pages = 0; pages < 100; ++pages) {
      const auto page = Get("/sagas?" + query + "&limit=" + std::to_string(limit) +
                            (after.empty() ? "" : "&after=" + after));
      CHECK(page["sagas"].size() <= static_cast<std::size_t>(limit));
      for (const auto& s : page["sagas"]) ids.push_back(s["orderId"].get<std::string>());
      if (page["next"].is_null()) return ids;
      CHECK(page["sagas"].size() == static_cast<std::size_t>(limit));
      after = page["next"].get<std::string>();
    }
    FAIL("the walk does not end");
    return ids;
  }

  // A saga row as completion keeps it, started `minutes_ago`; a final one took 1.5 s.
  void Saga(const std::string& id, const std::string& status, const std::string& reason,
            int minutes_ago) const {
    const auto started =
        "TIMESTAMP('" + now + "') - INTERVAL " + std::to_string(minutes_ago) + " MINUTE";
    const auto finished =
        status == "PENDING" ? "NULL, NULL" : started + " + INTERVAL 1500000 MICROSECOND, 1500";
    saga::test::AdminExec(
        "INSERT INTO `" + schema.Name() +
        "`.sagas (order_id, status, reason, started_at, finished_at, duration_ms, "
        "updated_at) VALUES ('" +
        id + "', '" + status + "', " + (reason.empty() ? "NULL" : "'" + reason + "'") + ", " +
        started + ", " + finished + ", UTC_TIMESTAMP(3))");
  }
};

}  // namespace

TEST_CASE(
    "GET /sagas lists one status oldest first, a tie by orderId, in pages that repeat and skip "
    "nothing",
    "[completion][sagas]") {
  Api api;
  // Started 50 minutes ago: three at once; then later ones, and other statuses in between.
  api.Saga("p-b", "PENDING", "", 50);
  api.Saga("p-a", "PENDING", "", 50);
  api.Saga("p-c", "PENDING", "", 50);
  api.Saga("p-d", "PENDING", "", 40);
  api.Saga("p-e", "PENDING", "", 1);
  api.Saga("c-1", "COMPLETED", "", 45);
  api.Saga("x-1", "CANCELLED", "OUT_OF_STOCK", 44);
  api.Saga("x-2", "CANCELLED", "UNKNOWN_PRODUCT", 43);
  api.Saga("x-3", "CANCELLED", "OUT_OF_STOCK", 42);
  api.Saga("x-4", "CANCELLED", "", 41);

  const std::vector<std::string> pending{"p-a", "p-b", "p-c", "p-d", "p-e"};
  for (const int limit : {1, 2, 3, 5, 1000}) {
    CHECK(api.Walk("status=PENDING", limit) == pending);
    // Every CANCELLED saga, whatever its reason (or none), in one order.
    CHECK(api.Walk("status=CANCELLED", limit) ==
          std::vector<std::string>{"x-1", "x-2", "x-3", "x-4"});
  }
  CHECK(api.Walk("status=CANCELLED&reason=OUT_OF_STOCK", 1) ==
        std::vector<std::string>{"x-1", "x-3"});
  CHECK(api.Walk("status=CANCELLED&reason=COUPON_EXPIRED", 1).empty());
  CHECK(api.Walk("status=COMPLETED", 1) == std::vector<std::string>{"c-1"});
  // Started at least 30 minutes ago: not p-e.
  CHECK(api.Walk("status=PENDING&olderThanMs=1800000", 2) ==
        std::vector<std::string>{"p-a", "p-b", "p-c", "p-d"});
  CHECK(api.Walk("status=PENDING&olderThanMs=3600000", 2).empty());

  const auto page = api.Get("/sagas?status=CANCELLED&reason=OUT_OF_STOCK&limit=1");
  REQUIRE(page["sagas"].size() == 1);
  const auto& x1 = page["sagas"][0];
  CHECK(x1["orderId"] == "x-1");
  CHECK(x1["status"] == "CANCELLED");
  CHECK(x1["reason"] == "OUT_OF_STOCK");
  CHECK(x1["durationMs"] == 1500);
  CHECK(x1["finishedAt"].is_string());
  CHECK(x1["ageMs"].get<std::int64_t>() >= 44 * 60000);
  CHECK(x1["ageMs"].get<std::int64_t>() < 46 * 60000);
  CHECK(x1["startedAt"].get<std::string>().back() == 'Z');
  const auto open = api.Get("/sagas?status=PENDING&limit=1")["sagas"][0];
  CHECK(open["reason"].is_null());
  CHECK(open["finishedAt"].is_null());
  CHECK(open["durationMs"].is_null());
}

TEST_CASE("GET /sagas refuses a bad parameter naming it", "[completion][sagas]") {
  Api api;
  CHECK(api.Refused("/sagas") == "status");
  CHECK(api.Refused("/sagas?status=DONE") == "status");
  CHECK(api.Refused("/sagas?status=CANCELLED&reason=LATE") == "reason");
  CHECK(api.Refused("/sagas?status=PENDING&reason=OUT_OF_STOCK") == "reason");
  CHECK(api.Refused("/sagas?status=PENDING&olderThanMs=-1") == "olderThanMs");
  CHECK(api.Refused("/sagas?status=PENDING&olderThanMs=1e3") == "olderThanMs");
  CHECK(api.Refused("/sagas?status=PENDING&limit=0") == "limit");
  CHECK(api.Refused("/sagas?status=PENDING&limit=1001") == "limit");
  // Empty; not base64url; "a"; "no bar"; "2026-13-01T00:00:00.000Z|x"; "2026-01-01T00:00:00.000Z|".
  const std::vector<std::string> bad{"",
                                     "%%%",
                                     "YQ",
                                     "bm8gYmFy",
                                     "MjAyNi0xMy0wMVQwMDowMDowMC4wMDBafHg",
                                     "MjAyNi0wMS0wMVQwMDowMDowMC4wMDBafA"};
  for (const auto& after : bad) {
    CAPTURE(after);
    CHECK(api.Refused("/sagas?status=PENDING&after=" + after) == "after");
  }
  // base64url of "2026-01-01T00:00:00.000Z|x": a place, valid though no saga is there.
  CHECK(api.Refused("/sagas?status=PENDING&after=MjAyNi0wMS0wMVQwMDowMDowMC4wMDBafHg").empty());
}

TEST_CASE("GET /sagas/stats names the oldest PENDING saga and its age", "[completion][sagas]") {
  Api api;
  auto stats = api.Get("/sagas/stats");
  CHECK(stats["oldestPending"].is_null());
  CHECK(stats["oldestPendingAgeMs"].is_null());
  api.Saga("done", "COMPLETED", "", 90);
  api.Saga("young", "PENDING", "", 5);
  api.Saga("old", "PENDING", "", 20);
  stats = api.Get("/sagas/stats");
  CHECK(stats["oldestPending"] == "old");
  CHECK(stats["oldestPendingAgeMs"].get<std::int64_t>() >= 20 * 60000);
  CHECK(stats["oldestPendingAgeMs"].get<std::int64_t>() < 22 * 60000);
  CHECK(stats["counts"]["PENDING"] == 2);
}
