#include "saga/order/app.hpp"

#include "saga/order/final_status_handler.hpp"
#include "saga/order/http_api.hpp"
#include "saga/runtime/service.hpp"

namespace saga::order {

void Start(const config::Env& env, runtime::StopStack& stops) {
  const auto cfg = config::CommonConfig::Load(
      env, {.service = "order", .http_port = 8080, .db_user = "order_svc",
            .db_password = "order_pw", .db_name = "order_db"});
  const auto max_batch = static_cast<std::size_t>(env.Int("ORDER_BATCH_MAX", 32, 1, 1000));
  const auto in_flight = static_cast<int>(env.Int("ORDER_BATCHES_IN_FLIGHT", 2, 1, 64));
  runtime::StartConsumerService(
      cfg, stops, [](metrics::Registry&) { return std::make_shared<FinalStatusHandler>(); },
      {contracts::topics::kOrderCompleted, contracts::topics::kOrderCancelled},
      [max_batch, in_flight](db::Pool& pool, metrics::Registry& registry) {
        return MakeRouter(OrderService(pool, max_batch, in_flight), registry);
      });
}

}  // namespace saga::order
