#include "saga/order/app.hpp"

#include "saga/order/final_status_handler.hpp"
#include "saga/order/http_api.hpp"
#include "saga/outbox/wake.hpp"
#include "saga/runtime/service.hpp"

namespace saga::order {

void Start(const config::Env& env, runtime::StopStack& stops) {
  const auto cfg = config::CommonConfig::Load(
      env, {.service = "order", .http_port = 8080, .db_user = "order_svc",
            .db_password = "order_pw", .db_name = "order_db"});
  const auto max_batch = static_cast<std::size_t>(env.Int("ORDER_BATCH_MAX", 32, 1, 1000));
  const auto in_flight = static_cast<int>(env.Int("ORDER_BATCHES_IN_FLIGHT", 2, 1, 64));
  // With ORDER_RELAY_HINTS=true new orders hint the relay (RELAY_WAKE_ADDR) for order_db after
  // each group commit. Off by default: orders commit hundreds of times a second under load, and
  // a pass per hint makes the order_db passes smaller and more frequent, which costs the broker
  // more than the shorter wait saves (docs/benchmarks.md, ninth session).
  auto wake = std::make_shared<outbox::WakeSender>(
      env.Bool("ORDER_RELAY_HINTS", false) ? cfg.relay_wake : std::string(), cfg.db.name);
  // The order service's own consumer (final statuses) writes no outbox rows: it sends no hints.
  auto consumer_cfg = cfg;
  consumer_cfg.relay_wake.clear();
  runtime::StartConsumerService(
      consumer_cfg, stops, [](metrics::Registry&) { return std::make_shared<FinalStatusHandler>(); },
      {contracts::topics::kOrderCompleted, contracts::topics::kOrderCancelled},
      [max_batch, in_flight, wake](db::Pool& pool, metrics::Registry& registry) {
        std::function<void()> committed;
        if (wake->Enabled()) committed = [wake] { wake->Notify(); };
        return MakeRouter(OrderService(pool, max_batch, in_flight, std::move(committed)), registry);
      });
}

}  // namespace saga::order
