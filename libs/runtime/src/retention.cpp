#include "saga/runtime/retention.hpp"

#include <cppconn/prepared_statement.h>

#include <cstdio>
#include <memory>
#include <thread>
#include <ctime>

#include "saga/log/log.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::runtime {
namespace {

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DateTimeOf(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03d", static_cast<int>((ms % 1000 + 1000) % 1000));
  return std::string(buf, n) + millis;
}

}  // namespace

RetentionOptions LoadRetention(const config::Env& env, const std::string& tables) {
  RetentionOptions o;
  // docs/adr/0018.
  o.retention_s = env.Int("RETENTION_S", o.retention_s, 0, 3'650LL * 24 * 3600,
                          "rows older than this (s) are deleted: " + tables +
                              "; keep it longer than the broker's retention plus the longest redelivery "
                              "delay; 0 keeps everything");
  o.batch = env.Int("RETENTION_BATCH", o.batch, 1, 100'000,
                    "rows deleted per transaction by the retention clean-up (small: the rows stay locked "
                    "until it commits)");
  return o;
}

std::string UuidV7Floor(std::int64_t ms) {
  const auto v = static_cast<unsigned long long>(ms < 0 ? 0 : ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-7000-8000-000000000000", (v >> 16) & 0xffffffffULL, v & 0xffffULL);
  return buf;
}

Retention::Retention(db::Pool& pool, std::vector<Sweep> sweeps, RetentionOptions options,
                     metrics::Registry& registry)
    : pool_(pool), sweeps_(std::move(sweeps)), options_(options) {
  auto& family = prometheus::BuildCounter()
                     .Name("retention_deleted_rows_total")
                     .Help("Rows deleted for being older than RETENTION_S, by table")
                     .Register(registry.Raw());
  for (const auto& s : sweeps_) deleted_.push_back(&family.Add({{"table", s.table}}));
  if (options_.retention_s <= 0 || sweeps_.empty()) return;
  periodic_ = std::make_unique<Periodic>(options_.every, Periodic::First::kAfterOnePeriod, [this] {
    try {
      SweepOnce();
    } catch (const std::exception& e) {
      // The next pass deletes what this one did not.
      log::Warn("retention clean-up failed", {{"error", e.what()}});
    }
  });
}

Retention::~Retention() { Stop(); }

void Retention::Stop() {
  if (periodic_) periodic_->Stop();
}

std::uint64_t Retention::SweepOnce() {
  const auto cutoff_ms = NowMillis() - options_.retention_s * 1000;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < sweeps_.size(); ++i) {
    const auto& sweep = sweeps_[i];
    const auto cutoff = sweep.cutoff == Sweep::Cutoff::kUuidV7 ? UuidV7Floor(cutoff_ms) : DateTimeOf(cutoff_ms);
    for (;;) {
      const auto n = db::InTransaction(pool_, [&](db::Transaction& tx) {
        auto& st = tx.Conn().Prepare(sweep.sql);
        st.setString(1, cutoff);
        st.setInt64(2, options_.batch);
        const auto deleted = static_cast<std::uint64_t>(st.executeUpdate());
        tx.Commit();
        return deleted;
      });
      deleted_[i]->Increment(static_cast<double>(n));
      total += n;
      if (n < static_cast<std::uint64_t>(options_.batch) || Stopping()) break;
      std::this_thread::sleep_for(options_.pause);
    }
  }
  return total;
}

void StartRetention(db::Pool& pool, metrics::Registry& registry, StopStack& stops, std::vector<Sweep> sweeps,
                    const RetentionOptions& options) {
  auto retention = std::make_shared<Retention>(pool, std::move(sweeps), options, registry);
  stops.Push("retention clean-up", [retention] { retention->Stop(); });
}

}  // namespace saga::runtime
