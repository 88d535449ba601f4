#include "saga/payment/app.hpp"

#include "saga/payment/http_api.hpp"
#include "saga/payment/payment_handler.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/service.hpp"
#include "sql.hpp"

namespace saga::payment {

Config Config::Load(const config::Env& env) {
  Config c;
  c.common = config::CommonConfig::Load(
      env, {.service = "payment", .http_port = 8082, .db_user = "payment_svc",
            .db_password = "payment_pw", .db_name = "payment_db"});
  c.admin_token = env.String("ADMIN_TOKEN", "",
                             "token for PUT /coupons/{couponId} (header X-Admin-Token); empty "
                             "turns it off (401)");
  c.retention = runtime::LoadRetention(env, "the inbox, the aborted orders, the payments and the charges' answers");
  return c;
}

void Start(const Config& cfg, runtime::StopStack& stops) {
  runtime::StartConsumerService(
      cfg.common, stops, [](metrics::Registry&) { return std::make_shared<PaymentHandler>(); },
      [&cfg, &stops](db::Pool& pool, metrics::Registry& registry) {
        runtime::StartRetention(pool, registry, stops,
                                {{"inbox", outbox::sql::kSweepInbox},
                                 {"aborted_orders", sql::kSweepAborted},
                                 {"payments", sql::kSweepPayments},
                                 {"charges", sql::kSweepCharges, runtime::Sweep::Cutoff::kDateTime}},
                                cfg.retention);
        return MakeRouter(pool, cfg.admin_token);
      });
}

}  // namespace saga::payment
