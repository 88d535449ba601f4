#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "saga/db/pool.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/runtime/periodic.hpp"

namespace saga::order {

/// docs/adr/0016-admission-control-on-the-outbox-backlog.md (orders or their events piling up)
/// Admission control for POST /orders: a thread reads the order outbox's backlog (rows not yet
/// published) and its oldest row's age every `every`, with two primary-key look-ups, and the
/// orders still PENDING (sagas under way: one range of idx_orders_deadline), and orders are
/// refused while any of these, or the orders waiting for a writer, is over its limit. Gauges:
/// outbox_backlog_rows, outbox_oldest_age_ms, orders_open.
class Admission {
 public:
  struct Limits {
    std::int64_t max_backlog = 0;  ///< rows; 0: no limit
    std::int64_t max_age_ms = 0;   ///< ms; 0: no limit
    std::int64_t max_queued = 0;   ///< orders waiting for a writer; 0: no limit
    std::int64_t max_open = 0;     ///< orders still PENDING (sagas under way); 0: no limit
    std::chrono::milliseconds every{100};
  };

  Admission(db::Pool& pool, Limits limits, metrics::Registry& registry);
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  /// Why orders are refused now, with `queued` orders waiting for a writer, or nothing while
  /// they are admitted.
  std::optional<std::string> Refusal(std::size_t queued) const;

 private:
  void Sample();

  db::Pool& pool_;
  const Limits limits_;
  prometheus::Gauge& backlog_gauge_;
  prometheus::Gauge& age_gauge_;
  prometheus::Gauge& open_gauge_;
  std::atomic<std::int64_t> backlog_{0};
  std::atomic<std::int64_t> age_ms_{0};
  std::atomic<std::int64_t> open_{0};
  std::unique_ptr<runtime::Periodic> periodic_;  // last: stopped before the rest goes
};

}  // namespace saga::order
