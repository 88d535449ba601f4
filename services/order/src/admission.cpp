#include "saga/order/admission.hpp"

#include <cppconn/resultset.h>

#include <memory>

#include "saga/db/error.hpp"
#include "saga/log/log.hpp"
#include "sql.hpp"

namespace saga::order {

Admission::Admission(db::Pool& pool, Limits limits, metrics::Registry& registry)
    : pool_(pool),
      limits_(limits),
      backlog_gauge_(prometheus::BuildGauge()
                         .Name("outbox_backlog_rows")
                         .Help("Order outbox rows not yet published (admission control)")
                         .Register(registry.Raw())
                         .Add({})),
      age_gauge_(prometheus::BuildGauge()
                     .Name("outbox_oldest_age_ms")
                     .Help("Age of the oldest order outbox row, in ms (admission control)")
                     .Register(registry.Raw())
                     .Add({})),
      open_gauge_(prometheus::BuildGauge()
                      .Name("orders_open")
                      .Help("Orders still PENDING: sagas under way (admission control)")
                      .Register(registry.Raw())
                      .Add({})) {
  if (limits_.max_backlog > 0 || limits_.max_age_ms > 0 || limits_.max_open > 0) {
    periodic_ = std::make_unique<runtime::Periodic>(limits_.every, runtime::Periodic::First::kAtOnce,
                                                    [this] { Sample(); });
  }
}

Admission::~Admission() = default;

std::optional<std::string> Admission::Refusal(std::size_t queued) const {
  if (limits_.max_queued > 0 && static_cast<std::int64_t>(queued) > limits_.max_queued) {
    return std::to_string(queued) + " orders are waiting to be written (limit " +
           std::to_string(limits_.max_queued) + ")";
  }
  const auto backlog = backlog_.load(std::memory_order_relaxed);
  const auto age = age_ms_.load(std::memory_order_relaxed);
  if (limits_.max_backlog > 0 && backlog > limits_.max_backlog) {
    return "the order outbox holds " + std::to_string(backlog) + " unpublished events (limit " +
           std::to_string(limits_.max_backlog) + ")";
  }
  if (limits_.max_age_ms > 0 && age > limits_.max_age_ms) {
    return "the oldest unpublished order event is " + std::to_string(age) + " ms old (limit " +
           std::to_string(limits_.max_age_ms) + " ms)";
  }
  if (const auto open = open_.load(std::memory_order_relaxed); limits_.max_open > 0 && open > limits_.max_open) {
    return std::to_string(open) + " orders are still under way (limit " + std::to_string(limits_.max_open) + ")";
  }
  return std::nullopt;
}

void Admission::Sample() {
  try {
    db::InTransaction(pool_, [&](db::Transaction& tx) {
      std::unique_ptr<::sql::ResultSet> rs(tx.Conn().Prepare(sql::kOutboxBacklog).executeQuery());
      rs->next();
      backlog_ = rs->getInt64(1);
      age_ms_ = rs->getInt64(2);
      if (limits_.max_open > 0) {
        std::unique_ptr<::sql::ResultSet> open(tx.Conn().Prepare(sql::kOpenOrders).executeQuery());
        open->next();
        open_ = open->getInt64(1);
      }
      tx.Commit();
    }, 1);
    backlog_gauge_.Set(static_cast<double>(backlog_.load()));
    age_gauge_.Set(static_cast<double>(age_ms_.load()));
    open_gauge_.Set(static_cast<double>(open_.load()));
  } catch (const std::exception& e) {
    // Keep the last reading: with the database away, orders fail on their own anyway.
    log::Debug("admission sample failed", {{"error", e.what()}});
  }
}

}  // namespace saga::order
