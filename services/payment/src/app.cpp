#include "saga/payment/app.hpp"

#include "saga/payment/http_api.hpp"
#include "saga/payment/payment_handler.hpp"
#include "saga/runtime/service.hpp"

namespace saga::payment {

config::CommonConfig LoadConfig(const config::Env& env) {
  return config::CommonConfig::Load(
      env, {.service = "payment", .http_port = 8082, .db_user = "payment_svc",
            .db_password = "payment_pw", .db_name = "payment_db"});
}

void Start(const config::CommonConfig& cfg, runtime::StopStack& stops) {
  runtime::StartConsumerService(cfg, stops, [](metrics::Registry&) { return std::make_shared<PaymentHandler>(); },
                                [](db::Pool& pool, metrics::Registry&) { return MakeRouter(pool); });
}

}  // namespace saga::payment
