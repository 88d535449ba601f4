#include "stuck_saga_gauges.hpp"

#include "completion_store.hpp"
#include "saga/log/log.hpp"

namespace saga::completion {

StuckSagaGauges::StuckSagaGauges(db::Pool& pool, metrics::Registry& registry,
                                 std::int64_t deadline_ms, std::chrono::milliseconds every)
    : pool_(pool),
      deadline_ms_(deadline_ms),
      overdue_gauge_(prometheus::BuildGauge()
                         .Name("sagas_pending_overdue")
                         .Help("PENDING sagas that started more than SAGA_DEADLINE_MS ago")
                         .Register(registry.Raw())
                         .Add({})),
      oldest_gauge_(prometheus::BuildGauge()
                        .Name("saga_oldest_pending_age_ms")
                        .Help("Age of the oldest PENDING saga in ms (0 when none is PENDING)")
                        .Register(registry.Raw())
                        .Add({})),
      periodic_(std::make_unique<runtime::Periodic>(every, runtime::Periodic::First::kAtOnce,
                                                    [this] { Sample(); })) {}

StuckSagaGauges::~StuckSagaGauges() { Stop(); }

void StuckSagaGauges::Stop() { periodic_->Stop(); }

void StuckSagaGauges::Sample() {
  try {
    const auto gauges = db::InTransaction(
        pool_,
        [&](db::Transaction& tx) {
          auto g = store::GetPendingGauges(tx, deadline_ms_);
          tx.Commit();
          return g;
        },
        1);
    overdue_gauge_.Set(static_cast<double>(gauges.overdue));
    oldest_gauge_.Set(static_cast<double>(gauges.oldest_age_ms.value_or(0)));
  } catch (const std::exception& e) {
    // Keep the last reading; /health/ready reports the database itself.
    log::Debug("stuck-saga gauges not read", {{"error", e.what()}});
  }
}

}  // namespace saga::completion
