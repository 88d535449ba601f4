#include "saga/stock/app.hpp"

#include "saga/log/log.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/runtime/options.hpp"
#include "saga/runtime/retention.hpp"
#include "sql.hpp"
#include "saga/runtime/service.hpp"
#include "saga/stock/http_api.hpp"
#include "saga/stock/stock_handler.hpp"

namespace saga::stock {

Config Config::Load(const config::Env& env) {
  Config c;
  c.common = config::CommonConfig::Load(
      env, {.service = "product-stock", .http_port = 8081, .db_user = "stock_svc",
            .db_password = "stock_pw", .db_name = "stock_db"});
  c.admin_token = env.String("ADMIN_TOKEN", "",
                             "token for PUT /products/{id}/stock (header X-Admin-Token); empty "
                             "turns it off (401)");
  c.retention = runtime::LoadRetention(env, "the inbox and the aborted orders");
  return c;
}

void Start(const Config& cfg, runtime::StopStack& stops) {
  runtime::StartConsumerService(
      cfg.common, stops, [](metrics::Registry&) { return std::make_shared<StockHandler>(); },
      [&cfg, &stops](db::Pool& pool, metrics::Registry& registry) {
        runtime::StartRetention(pool, registry, stops,
                                {{"inbox", outbox::sql::kSweepInbox}, {"aborted_orders", sql::kSweepAborted}},
                                cfg.retention);
        return MakeRouter(pool, cfg.admin_token);
      });
}

}  // namespace saga::stock
