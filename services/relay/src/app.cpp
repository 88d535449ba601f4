#include "saga/relay/app.hpp"

#include <memory>
#include <algorithm>
#include <cctype>
#include <thread>

#include "saga/http/server.hpp"
#include "saga/log/log.hpp"
#include "saga/outbox/wake.hpp"
#include "saga/relay/relay_worker.hpp"
#include "saga/runtime/options.hpp"

namespace saga::relay {

RelayConfig RelayConfig::Load(const config::Env& env) {
  RelayConfig c;
  // The relay's HTTP server only answers health checks and metrics: two handler threads.
  c.common = config::CommonConfig::Load(
      env, {.service = "relay", .http_port = 8084, .db_user = "relay", .db_password = "relay_pw",
            .db_name = "", .http_worker_threads = 2});
  c.schemas = env.List("RELAY_SCHEMAS", "order_db,stock_db,payment_db,completion_db",
                       "outboxes to drain (schemas, comma-separated), one worker thread each");
  auto plain_identifier = [](const std::string& s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  if (c.schemas.empty()) throw config::ConfigError("RELAY_SCHEMAS must name at least one schema");
  for (const auto& s : c.schemas) {
    if (!plain_identifier(s)) {
      throw config::ConfigError("RELAY_SCHEMAS entry '" + s + "' is not a plain schema name");
    }
  }
  // Each default is the one RelayConfig declares.
  c.batch_size = static_cast<int>(
      env.Int("RELAY_BATCH_SIZE", c.batch_size, 1, 10000, "outbox rows per publish batch"));
  c.idle_max_ms = static_cast<int>(
      env.Int("RELAY_IDLE_MAX_MS", c.idle_max_ms, 1, 60000,
              "longest sleep between polls of an empty outbox (it starts at 1 ms and doubles)"));
  c.busy_pause_ms = static_cast<int>(
      env.Int("RELAY_BUSY_PAUSE_MS", c.busy_pause_ms, 0, 60000,
              "sleep after a pass that published less than a full batch; 0 polls again at "
              "once; a wake-up hint ends it early"));
  c.lock_retry_ms = static_cast<int>(
      env.Int("RELAY_LOCK_RETRY_MS", c.lock_retry_ms, 10, 600000,
              "how often a standby relay retries a schema's publish lock"));
  c.wake_bind = env.String("RELAY_WAKE_BIND", "",
                           "host:port (UDP) where the relay takes the services' wake-up hints; "
                           "empty: no hints, the timers alone; an address that cannot be bound "
                           "stops the start");
  if (!c.wake_bind.empty()) config::SplitHostPort(c.wake_bind, "RELAY_WAKE_BIND");
  c.wake_min_gap_ms = static_cast<int>(
      env.Int("RELAY_WAKE_MIN_GAP_MS", c.wake_min_gap_ms, 0, 1000,
              "after a pass that published rows, a hint starts the next pass no sooner than this"));
  c.message_timeout_ms = static_cast<int>(
      env.Int("RELAY_MESSAGE_TIMEOUT_MS", c.message_timeout_ms, 100, 600000,
              "a delivery the broker has not acknowledged by then counts as failed (the row "
              "stays)"));
  const auto failpoint =
      env.String("RELAY_FAILPOINT", "",
                 "tests only: after_publish exits (code 86) after the broker's ack, before the "
                 "delete");
  if (!failpoint.empty() && failpoint != "after_publish") {
    throw config::ConfigError("RELAY_FAILPOINT='" + failpoint + "' is not 'after_publish'");
  }
  c.crash_after_publish = failpoint == "after_publish";
  return c;
}

namespace {

std::unique_ptr<RelayWorker> MakeWorker(const RelayConfig& cfg, const std::string& schema,
                                        RelayMetrics& metrics) {
  auto db = runtime::DbOptions(cfg.common);
  db.pool_size = 1;  // one connection per worker: it holds the schema's publish lock
  auto producer = runtime::ProducerOptions(cfg.common, "relay-" + schema);
  producer.message_timeout_ms = cfg.message_timeout_ms;
  return std::make_unique<RelayWorker>(
      RelayOptions{.schema = schema,
                   .batch_size = static_cast<std::size_t>(cfg.batch_size),
                   .idle_max = std::chrono::milliseconds(cfg.idle_max_ms),
                   .busy_pause = std::chrono::milliseconds(cfg.busy_pause_ms),
                   .lock_retry = std::chrono::milliseconds(cfg.lock_retry_ms),
                   .wake_min_gap = std::chrono::milliseconds(cfg.wake_min_gap_ms),
                   .crash_after_publish = cfg.crash_after_publish},
      db, producer, metrics);
}

using Workers = std::vector<std::unique_ptr<RelayWorker>>;

// Takes the services' hints until `stop`: a hint names a schema and wakes its worker; one for a
// schema this relay does not drain is ignored.
void TakeHints(outbox::WakeListener& listener, const Workers& workers, RelayMetrics& metrics,
               const std::atomic<bool>& stop) {
  while (!stop.load()) {
    const auto schema = listener.Receive(std::chrono::milliseconds(50));
    if (!schema) continue;
    for (const auto& w : workers) {
      if (w->Schema() == *schema) {
        metrics.wake_hints.Add({{"schema", *schema}}).Increment();
        w->Wake();
      }
    }
  }
}

}  // namespace

void Start(const RelayConfig& cfg, runtime::StopStack& stops) {
  auto registry = std::make_shared<metrics::Registry>();
  auto relay_metrics = std::make_shared<RelayMetrics>(*registry);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto workers = std::make_shared<Workers>();
  for (const auto& schema : cfg.schemas) workers->push_back(MakeWorker(cfg, schema, *relay_metrics));
  stops.Push("metrics", [registry, relay_metrics] {});
  // Bound before any worker runs: a wake address that cannot be bound stops the start.
  std::shared_ptr<outbox::WakeListener> listener;
  if (!cfg.wake_bind.empty()) listener = std::make_shared<outbox::WakeListener>(cfg.wake_bind);
  auto threads = std::make_shared<std::vector<std::thread>>();
  for (auto& w : *workers) {
    threads->emplace_back([worker = w.get(), stop] { worker->Run(*stop); });
  }
  if (listener) {
    threads->emplace_back([listener, workers, stop, relay_metrics] {
      TakeHints(*listener, *workers, *relay_metrics, *stop);
    });
    log::Info("relay takes wake-up hints", {{"udp", cfg.wake_bind}, {"minGapMs", cfg.wake_min_gap_ms}});
  }
  stops.Push("relay workers", [workers, threads, stop] {
    stop->store(true);
    for (auto& t : *threads) t.join();
  });
  auto server = std::make_shared<http::Server>(
      runtime::HttpOptions(cfg.common), http::Router{}, *registry, [workers] {
        std::map<std::string, http::Check> checks;
        for (const auto& w : *workers) {
          checks["database:" + w->Schema()] = w->DatabaseOk();
          checks["kafka:" + w->Schema()] = w->KafkaOk();
        }
        return checks;
      });
  server->Start();
  stops.Push("http server", [server] { server->Stop(); });
  log::Info("relay started", {{"schemas", cfg.schemas}, {"port", server->Port()}});
}

}  // namespace saga::relay
