#include "saga/order/app.hpp"

#include "saga/order/final_status_handler.hpp"
#include "saga/order/http_api.hpp"
#include "saga/runtime/service.hpp"

namespace saga::order {

void Start(const config::Env& env, runtime::StopStack& stops) {
  const auto cfg = config::CommonConfig::Load(
      env, {.service = "order", .http_port = 8080, .db_user = "order_svc",
            .db_password = "order_pw", .db_name = "order_db"});
  runtime::StartConsumerService(
      cfg, stops, [](metrics::Registry&) { return std::make_shared<FinalStatusHandler>(); },
      {contracts::topics::kOrderCompleted, contracts::topics::kOrderCancelled},
      [](db::Pool& pool, metrics::Registry& registry) { return MakeRouter(OrderService(pool), registry); });
}

}  // namespace saga::order
