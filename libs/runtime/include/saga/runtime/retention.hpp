#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "saga/config/env.hpp"
#include "saga/db/pool.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/runtime/periodic.hpp"

namespace saga::runtime {

/// docs/adr/0018-tables-kept-for-a-retention-time.md
/// One table's clean-up: a DELETE of the rows older than the retention, oldest first, at most a
/// batch at a time. Its two parameters are the cut-off and the batch size.
struct Sweep {
  /// How the cut-off is given: the smallest UUIDv7 of the cut-off time (for a table keyed by
  /// time-ordered ids: event ids, order ids), or a DATETIME(3) text (for a time column with an
  /// index).
  enum class Cutoff { kUuidV7, kDateTime };
  std::string table;  ///< the metric's label
  std::string sql;    ///< "DELETE FROM t WHERE k < ? ORDER BY k LIMIT ?"
  Cutoff cutoff = Cutoff::kUuidV7;
};

struct RetentionOptions {
  std::int64_t retention_s = 7 * 24 * 3600;  ///< RETENTION_S; 0 keeps everything
  std::int64_t batch = 500;                  ///< RETENTION_BATCH
  std::chrono::milliseconds every{1000};
  std::chrono::milliseconds pause{5};  ///< between two full batches, so writers get the rows' locks
};

/// RETENTION_S and RETENTION_BATCH; `tables` says what they clean (for --help).
RetentionOptions LoadRetention(const config::Env& env, const std::string& tables);

/// The smallest UUIDv7 of the millisecond `ms`: every UUIDv7 made earlier sorts below it.
std::string UuidV7Floor(std::int64_t ms);

/// A thread that runs the sweeps every `every` (the first `every` after it starts): each deletes
/// batches (one short transaction
/// each) until less than a batch is left. Counter: retention_deleted_rows_total{table}.
class Retention {
 public:
  Retention(db::Pool& pool, std::vector<Sweep> sweeps, RetentionOptions options, metrics::Registry& registry);
  ~Retention();
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  /// Stops the thread (waits for a sweep under way); the destructor does too.
  void Stop();
  /// One pass over every sweep with the cut-off now minus the retention; returns the rows deleted.
  std::uint64_t SweepOnce();

 private:
  bool Stopping() const { return periodic_ && periodic_->Stopping(); }

  db::Pool& pool_;
  const std::vector<Sweep> sweeps_;
  const RetentionOptions options_;
  std::vector<prometheus::Counter*> deleted_;
  std::unique_ptr<Periodic> periodic_;  // last: stopped before the rest goes
};

/// A Retention for the service's pool, stopped by `stops` (after the HTTP server, before the pool,
/// when called from a router factory).
class StopStack;
void StartRetention(db::Pool& pool, metrics::Registry& registry, StopStack& stops, std::vector<Sweep> sweeps,
                    const RetentionOptions& options);

}  // namespace saga::runtime
