#include "saga/runtime/retention.hpp"

#include <catch2/catch.hpp>
#include <chrono>

#include "saga/contracts/ids.hpp"
#include "saga/outbox/outbox.hpp"
#include "support/stack.hpp"

using saga::runtime::Retention;
using saga::runtime::RetentionOptions;
using saga::runtime::Sweep;
using saga::runtime::UuidV7Floor;

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("The UUIDv7 floor of a time sorts above every id made before it and below every id after", "[retention]") {
  const auto before = UuidV7Floor(NowMs() - 1);
  const auto id = saga::contracts::NewUuid();
  const auto after = UuidV7Floor(NowMs() + 1);
  CHECK(before < id);
  CHECK(id < after);
  CHECK(UuidV7Floor(0) == "00000000-0000-7000-8000-000000000000");
  CHECK(UuidV7Floor(0x0123456789abLL) == "01234567-89ab-7000-8000-000000000000");
  CHECK(saga::contracts::IsLowercaseUuid(UuidV7Floor(NowMs())));
}

TEST_CASE("The clean-up deletes only rows past the retention, a batch per transaction, and counts them",
          "[retention]") {
  saga::test::ScratchSchema schema("order_db");
  saga::db::Pool pool(schema.Db());
  {
    saga::db::Connection conn(schema.Db());
    // Seven inbox rows of two hours ago and three of now; two keys of two hours ago and one of now.
    const auto old_ms = NowMs() - 2 * 3600 * 1000;
    for (int i = 0; i < 7; ++i) {
      auto id = UuidV7Floor(old_ms + i);
      conn.Execute("INSERT INTO inbox (event_id, event_type, processed_at) VALUES ('" + id +
                   "', 'order.completed', UTC_TIMESTAMP(6))");
    }
    for (int i = 0; i < 3; ++i) {
      conn.Execute("INSERT INTO inbox (event_id, event_type, processed_at) VALUES ('" + saga::contracts::NewUuid() +
                   "', 'order.completed', UTC_TIMESTAMP(6))");
    }
    conn.Execute("INSERT INTO idempotency_keys (idem_key, request, order_id, created_at) VALUES "
                 "('old-1', '{}', 'o1', UTC_TIMESTAMP(3) - INTERVAL 2 HOUR), "
                 "('old-2', '{}', 'o2', UTC_TIMESTAMP(3) - INTERVAL 2 HOUR), "
                 "('new-1', '{}', 'o3', UTC_TIMESTAMP(3))");
    conn.Commit();
  }
  saga::metrics::Registry registry;
  RetentionOptions options;
  options.retention_s = 3600;
  options.batch = 3;  // 7 old rows: batches of 3, 3 and 1
  options.every = std::chrono::hours(1);  // the thread waits that long before its first pass
  Retention retention(pool,
                      {{"inbox", saga::outbox::sql::kSweepInbox},
                       {"idempotency_keys",
                        "DELETE FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?",
                        Sweep::Cutoff::kDateTime}},
                      options, registry);
  CHECK(retention.SweepOnce() == 9);
  CHECK(schema.Count("inbox") == 3);
  CHECK(schema.Count("idempotency_keys") == 1);
  CHECK(schema.Scalar("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'new-1'") == 1);
  CHECK(retention.SweepOnce() == 0);  // nothing more is old enough
  const auto text = registry.Serialize();
  CHECK_THAT(text, Catch::Contains("retention_deleted_rows_total{table=\"inbox\"} 7"));
  CHECK_THAT(text, Catch::Contains("retention_deleted_rows_total{table=\"idempotency_keys\"} 2"));
}
