#include "saga/completion/app.hpp"

#include "saga/completion/completion_handler.hpp"
#include "saga/completion/http_api.hpp"
#include "saga/runtime/service.hpp"

namespace saga::completion {

config::CommonConfig LoadConfig(const config::Env& env) {
  return config::CommonConfig::Load(
      env, {.service = "completion", .http_port = 8083, .db_user = "completion_svc",
            .db_password = "completion_pw", .db_name = "completion_db",
            // Completion consumes every event of every saga: two members share the partitions.
            .consumer_threads = 2});
}

void Start(const config::CommonConfig& cfg, runtime::StopStack& stops) {
  auto watchers = std::make_shared<SagaWatchers>();
  runtime::StartConsumerService(
      cfg, stops, [watchers](metrics::Registry& registry) {
        return std::make_shared<CompletionHandler>(watchers, &registry);
      },
      [watchers](db::Pool& pool, metrics::Registry&) { return MakeRouter(pool, watchers); });
}

}  // namespace saga::completion
