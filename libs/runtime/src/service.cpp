#include "saga/runtime/service.hpp"

#include <map>

#include "saga/http/server.hpp"
#include "saga/log/log.hpp"
#include "saga/runtime/options.hpp"

namespace saga::runtime {

void StartConsumerService(const config::CommonConfig& cfg, StopStack& stops,
                          const HandlerFactory& make_handler, std::vector<std::string> topics,
                          const RouterFactory& routes) {
  auto registry = std::make_shared<metrics::Registry>();
  auto handler = make_handler(*registry);
  auto pool = std::make_shared<db::Pool>(DbOptions(cfg));
  auto producer = std::make_shared<kafka::Producer>(ProducerOptions(cfg, cfg.service + "-dlq"));
  stops.Push("database pool, producer, metrics", [pool, producer, registry] {});

  auto server =
      std::make_shared<http::Server>(HttpOptions(cfg), routes(*pool, *registry), *registry, [pool] {
        return std::map<std::string, bool>{{"database", pool->Ping()}};
      });
  server->Start();
  stops.Push("http server", [server] { server->Stop(); });

  auto processor = std::make_shared<messaging::EventProcessor>(cfg.service, *pool, *producer,
                                                               *handler, *registry);
  auto consumer_options = ConsumerOptions(cfg, cfg.service, topics);
  auto& lag =
      prometheus::BuildGauge()
          .Name("consumer_lag")
          .Help("Messages of this member's assigned partitions not yet committed, per topic")
          .Register(registry->Raw());
  std::map<std::string, prometheus::Gauge*> lag_by_topic;
  for (const auto& t : topics) lag_by_topic[t] = &lag.Add({{"topic", t}});
  consumer_options.on_lag = [lag_by_topic](const std::vector<kafka::PartitionLag>& parts) {
    std::map<std::string, double> sums;
    for (const auto& p : parts) sums[p.topic] += static_cast<double>(p.lag);
    // A topic with no assigned partition (another member has them) reports 0 here.
    for (const auto& [topic, gauge] : lag_by_topic) {
      const auto it = sums.find(topic);
      gauge->Set(it == sums.end() ? 0.0 : it->second);
    }
  };
  auto loop = std::make_shared<messaging::ConsumerLoop>(consumer_options, *processor);
  loop->Start();
  stops.Push("consumer", [loop, processor, handler] { loop->Stop(); });
  log::Info("service started", {{"port", server->Port()}, {"topics", topics}, {"db", cfg.db.name}});
}

}  // namespace saga::runtime
