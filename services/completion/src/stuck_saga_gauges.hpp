#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "saga/db/pool.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/runtime/periodic.hpp"

namespace saga::completion {

/// Sagas that may be stuck, as gauges: sagas_pending_overdue (PENDING sagas that started more
/// than the saga deadline ago) and saga_oldest_pending_age_ms (0 while none is PENDING). A thread
/// reads both every `every` with one indexed statement until Stop().
class StuckSagaGauges {
 public:
  StuckSagaGauges(db::Pool& pool, metrics::Registry& registry, std::int64_t deadline_ms,
                  std::chrono::milliseconds every = std::chrono::seconds(5));
  ~StuckSagaGauges();
  StuckSagaGauges(const StuckSagaGauges&) = delete;
  StuckSagaGauges& operator=(const StuckSagaGauges&) = delete;

  /// Ends the thread (waits for a reading under way); later calls do nothing.
  void Stop();

 private:
  void Sample();

  db::Pool& pool_;
  const std::int64_t deadline_ms_;
  prometheus::Gauge& overdue_gauge_;
  prometheus::Gauge& oldest_gauge_;
  std::unique_ptr<runtime::Periodic> periodic_;  // last: stopped before the rest goes
};

}  // namespace saga::completion
