#include "saga/order/app.hpp"

#include <memory>

#include "saga/config/common.hpp"
#include "saga/db/pool.hpp"
#include "saga/http/server.hpp"
#include "saga/log/log.hpp"
#include "saga/order/http_api.hpp"

namespace saga::order {

void Start(const config::Env& env, runtime::StopStack& stops) {
  const auto cfg = config::CommonConfig::Load(
      env, {.service = "order", .http_port = 8080, .db_user = "order_svc",
            .db_password = "order_pw", .db_name = "order_db"});
  auto registry = std::make_shared<metrics::Registry>();
  auto pool = std::make_shared<db::Pool>(db::Options{.host = cfg.db.host,
                                                     .port = cfg.db.port,
                                                     .user = cfg.db.user,
                                                     .password = cfg.db.password,
                                                     .database = cfg.db.name,
                                                     .pool_size = cfg.db.pool_size,
                                                     .connect_timeout = cfg.db.connect_timeout});
  auto service = std::make_shared<OrderService>(*pool);
  auto server = std::make_shared<http::Server>(
      http::ServerOptions{.bind = cfg.http.bind,
                          .port = cfg.http.port,
                          .io_threads = cfg.http.io_threads,
                          .worker_threads = cfg.http.worker_threads},
      MakeRouter(*service, *registry), *registry,
      [pool] { return std::map<std::string, bool>{{"database", pool->Ping()}}; });
  // Parts are kept alive by the stop actions and released in reverse order.
  stops.Push("database pool", [pool] {});
  stops.Push("metrics", [registry] {});
  server->Start();
  stops.Push("http server", [server, service] { server->Stop(); });
  log::Info("order service listening", {{"port", server->Port()}, {"db", cfg.db.name}});
}

}  // namespace saga::order
