#include "saga/completion/app.hpp"

#include <memory>

#include "saga/completion/completion_handler.hpp"
#include "saga/completion/http_api.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/runtime/retention.hpp"
#include "saga/runtime/service.hpp"
#include "sql.hpp"
#include "stuck_saga_gauges.hpp"

namespace saga::completion {

Config LoadConfig(const config::Env& env) {
  Config c;
  c.common = config::CommonConfig::Load(
      env, {.service = "completion",
            .http_port = 8083,
            .db_user = "completion_svc",
            .db_password = "completion_pw",
            .db_name = "completion_db",
            // Completion consumes every event of every saga: two members share the partitions.
            .consumer_threads = 2});
  c.deadline_ms = env.Int("SAGA_DEADLINE_MS", c.deadline_ms, 100, 86'400'000,
                          "how long (ms) a saga may stay open before it is aborted; completion "
                          "counts the PENDING sagas older than this in sagas_pending_overdue");
  c.retention = runtime::LoadRetention(env, "the inbox, the sagas and their steps");
  return c;
}

void Start(const Config& cfg, runtime::StopStack& stops) {
  auto watchers = std::make_shared<SagaWatchers>();
  runtime::StartConsumerService(
      cfg.common, stops,
      [watchers](metrics::Registry& registry) {
        return std::make_shared<CompletionHandler>(watchers, &registry);
      },
      [watchers, &stops, deadline_ms = cfg.deadline_ms, retention = cfg.retention](
          db::Pool& pool, metrics::Registry& registry) {
        // Made with the pool, before the HTTP server; stopped after the server, before the pool.
        auto gauges = std::make_shared<StuckSagaGauges>(pool, registry, deadline_ms);
        stops.Push("stuck-saga gauges", [gauges] { gauges->Stop(); });
        runtime::StartRetention(pool, registry, stops,
                                {{"inbox", outbox::sql::kSweepInbox},
                                 {"saga_steps", sql::kSweepSteps},
                                 {"sagas", sql::kSweepSagas}},
                                retention);
        return MakeRouter(pool, watchers);
      });
}

}  // namespace saga::completion
