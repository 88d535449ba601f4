#include "saga/order/expiry.hpp"

#include <string>
#include <vector>

#include "order_store.hpp"
#include "saga/contracts/envelope.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/log/log.hpp"
#include "saga/outbox/outbox.hpp"

namespace saga::order {
namespace {

constexpr std::int64_t kWarnAttempt = 4;

prometheus::Family<prometheus::Counter>& ExpiredFamily(metrics::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("sagas_expired_total")
      .Help("saga.expired sent for orders still PENDING past their deadline (attempt: first or again)")
      .Register(registry.Raw());
}

}  // namespace

Expiry::Expiry(db::Pool& pool, Options options, metrics::Registry& registry)
    : pool_(pool),
      options_(options),
      first_(ExpiredFamily(registry).Add({{"attempt", "first"}})),
      again_(ExpiredFamily(registry).Add({{"attempt", "again"}})) {
  if (options_.deadline_ms <= 0) return;
  periodic_ = std::make_unique<runtime::Periodic>(options_.every, runtime::Periodic::First::kAfterOnePeriod, [this] {
    try {
      ScanOnce();
    } catch (const std::exception& e) {
      // The next scan finds the same orders: nothing is lost by waiting.
      log::Warn("deadline scan failed", {{"error", e.what()}});
    }
  });
}

Expiry::~Expiry() { Stop(); }

void Expiry::Stop() {
  if (periodic_) periodic_->Stop();
}

std::size_t Expiry::ScanOnce() {
  for (;;) {
    const auto filled = db::InTransaction(pool_, [&](db::Transaction& tx) {
      const auto n = store::FillDeadlines(tx, options_.deadline_ms, options_.batch);
      tx.Commit();
      return n;
    });
    if (filled < static_cast<std::size_t>(options_.batch) || Stopping()) break;
  }
  std::size_t total = 0;
  for (;;) {
    const auto n = db::InTransaction(pool_, [&](db::Transaction& tx) {
      const auto expired = store::LockExpired(tx, options_.batch);
      if (expired.empty()) return std::size_t{0};
      std::vector<outbox::Pending> events;
      events.reserve(expired.size());
      for (const auto& o : expired) {
        const contracts::SagaExpired payload{o.order.user_id, o.order.items, o.order.coupon_id, o.expiries + 1};
        events.push_back({contracts::Envelope::New(payload.kType, o.order_id, payload), o.traceparent});
      }
      store::PostponeExpired(tx, expired, options_.deadline_ms);
      outbox::AppendMany(tx, events);
      tx.Commit();
      for (const auto& o : expired) {
        (o.expiries == 0 ? first_ : again_).Increment();
        if (o.expiries + 1 == kWarnAttempt) {
          log::Warn("saga still open after repeated expiries: a participant is down or its event is in a DLQ",
                    {{"orderId", o.order_id}, {"attempt", o.expiries + 1}});
        }
      }
      return expired.size();
    });
    total += n;
    if (n < static_cast<std::size_t>(options_.batch) || Stopping()) break;
  }
  if (total > 0) log::Info("sagas expired", {{"orders", total}});
  return total;
}

}  // namespace saga::order
