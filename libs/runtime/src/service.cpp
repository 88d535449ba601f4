#include "saga/runtime/service.hpp"

#include "saga/http/server.hpp"
#include "saga/log/log.hpp"
#include "saga/runtime/options.hpp"

namespace saga::runtime {

void StartConsumerService(const config::CommonConfig& cfg, StopStack& stops,
                          std::shared_ptr<messaging::EventHandler> handler,
                          std::vector<std::string> topics, const RouterFactory& routes) {
  auto registry = std::make_shared<metrics::Registry>();
  auto pool = std::make_shared<db::Pool>(DbOptions(cfg));
  auto producer = std::make_shared<kafka::Producer>(ProducerOptions(cfg, cfg.service + "-dlq"));
  stops.Push("database pool, producer, metrics", [pool, producer, registry] {});

  auto server = std::make_shared<http::Server>(
      HttpOptions(cfg), routes(*pool, *registry), *registry,
      [pool] { return std::map<std::string, bool>{{"database", pool->Ping()}}; });
  server->Start();
  stops.Push("http server", [server] { server->Stop(); });

  auto processor = std::make_shared<messaging::EventProcessor>(cfg.service, *pool, *producer, *handler,
                                                               *registry);
  auto loop = std::make_shared<messaging::ConsumerLoop>(ConsumerOptions(cfg, cfg.service, topics),
                                                        *processor);
  loop->Start();
  stops.Push("consumer", [loop, processor, handler] { loop->Stop(); });
  log::Info("service started", {{"port", server->Port()}, {"topics", topics}, {"db", cfg.db.name}});
}

}  // namespace saga::runtime
