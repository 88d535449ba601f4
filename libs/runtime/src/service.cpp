#include "saga/runtime/service.hpp"

#include <map>
#include <mutex>

#include "saga/http/server.hpp"
#include "saga/log/log.hpp"
#include "saga/outbox/wake.hpp"
#include "saga/runtime/options.hpp"

namespace saga::runtime {

void StartConsumerService(const config::CommonConfig& cfg, StopStack& stops,
                          const HandlerFactory& make_handler, const RouterFactory& routes) {
  auto registry = std::make_shared<metrics::Registry>();
  auto pool = std::make_shared<db::Pool>(DbOptions(cfg));
  auto producer = std::make_shared<kafka::Producer>(ProducerOptions(cfg, cfg.service + "-dlq"));
  stops.Push("database pool, producer, metrics", [pool, producer, registry] {});

  // Each member's progress (ProgressWatch): a member failing for CONSUMER_STALL_MS is not ready.
  auto& stalled =
      prometheus::BuildGauge()
          .Name("consumer_stalled_seconds")
          .Help("Seconds this member has been retrying a failing batch without progress (0 when none)")
          .Register(registry->Raw());
  auto watches = std::make_shared<std::vector<std::unique_ptr<messaging::ProgressWatch>>>();
  for (int member = 0; member < cfg.kafka.consumer_threads; ++member) {
    watches->push_back(std::make_unique<messaging::ProgressWatch>(
        &stalled.Add({{"member", std::to_string(member)}})));
  }
  auto server = std::make_shared<http::Server>(
      HttpOptions(cfg), routes(*pool, *registry), *registry, [pool, watches, after = cfg.kafka.consumer_stall] {
        std::map<std::string, http::Check> checks{{"database", pool->Ping()}};
        http::Check consumer;
        for (const auto& w : *watches) {
          if (auto why = w->Stalled(after)) consumer = {false, consumer.detail.empty() ? *why : consumer.detail + "; " + *why};
        }
        checks["consumer"] = consumer;
        return checks;
      });
  server->Start();
  stops.Push("http server", [server] { server->Stop(); });

  // One handler per member; what they consume is the subscription.
  std::vector<std::shared_ptr<messaging::EventHandler>> handlers;
  for (int member = 0; member < cfg.kafka.consumer_threads; ++member) {
    handlers.push_back(make_handler(*registry));
  }
  const auto topics = handlers.front()->Topics();

  // Every member's commits hint the relay for this service's schema (RELAY_WAKE_ADDR).
  auto wake = std::make_shared<outbox::WakeSender>(cfg.relay_wake, cfg.db.name);
  auto consumer_options = ConsumerOptions(cfg, cfg.service, topics);
  auto& lag =
      prometheus::BuildGauge()
          .Name("consumer_lag")
          .Help("Messages of this member's assigned partitions not yet committed, per topic")
          .Register(registry->Raw());
  std::map<std::string, prometheus::Gauge*> lag_by_topic;
  for (const auto& t : topics) lag_by_topic[t] = &lag.Add({{"topic", t}});
  // Members of one process each report their own partitions; the gauge shows their sum.
  struct MemberLags {
    std::mutex mu;
    std::vector<std::map<std::string, double>> by_member;
  };
  auto lags = std::make_shared<MemberLags>();
  auto& assigned =
      prometheus::BuildGauge()
          .Name("consumer_assigned_partitions")
          .Help("Partitions this member holds after the last rebalance (0 before it joined its group)")
          .Register(registry->Raw());
  lags->by_member.resize(static_cast<std::size_t>(cfg.kafka.consumer_threads));

  // Each member (thread) has its own consumer, handler and processor; the group spreads the
  // partitions over them, and an order's events share a partition number on every topic.
  for (int member = 0; member < cfg.kafka.consumer_threads; ++member) {
    auto member_handler = handlers[static_cast<std::size_t>(member)];
    auto processor = std::make_shared<messaging::EventProcessor>(cfg.service, *pool, *producer,
                                                                 *member_handler, *registry);
    if (wake->Enabled()) processor->OnCommitted([wake] { wake->Notify(); });
    auto options = consumer_options;
    options.on_lag = [lag_by_topic, lags, member](const std::vector<kafka::PartitionLag>& parts) {
      std::map<std::string, double> sums;
      for (const auto& p : parts) sums[p.topic] += static_cast<double>(p.lag);
      std::lock_guard lock(lags->mu);
      lags->by_member[static_cast<std::size_t>(member)] = std::move(sums);
      // A topic with no assigned partition (another member or process has them) counts 0.
      for (const auto& [topic, gauge] : lag_by_topic) {
        double total = 0;
        for (const auto& m : lags->by_member) {
          const auto it = m.find(topic);
          if (it != m.end()) total += it->second;
        }
        gauge->Set(total);
      }
    };
    options.on_assigned = [gauge = &assigned.Add({{"member", std::to_string(member)}})](std::size_t n) {
      gauge->Set(static_cast<double>(n));
    };
    auto* watch = (*watches)[static_cast<std::size_t>(member)].get();
    options.on_progress = [watch] { watch->Progressed(); };
    options.on_failure = [watch](const kafka::InMessage& first, const std::string& error) {
      watch->Failed(first, error);
    };
    auto loop = std::make_shared<messaging::ConsumerLoop>(options, *processor);
    loop->Start();
    stops.Push("consumer " + std::to_string(member),
               [loop, processor, member_handler, watches] { loop->Stop(); });
  }
  log::Info("service started", {{"port", server->Port()},
                                 {"topics", topics},
                                 {"db", cfg.db.name},
                                 {"consumerThreads", cfg.kafka.consumer_threads}});
}

}  // namespace saga::runtime
