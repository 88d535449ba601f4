#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "saga/config/common.hpp"
#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"
#include "saga/messaging/processor.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/runtime/runtime.hpp"

namespace saga::runtime {

using RouterFactory = std::function<http::Router(db::Pool& pool, metrics::Registry& registry)>;
using HandlerFactory = std::function<std::shared_ptr<messaging::EventHandler>(metrics::Registry& registry)>;

/// Starts the parts of a service that consumes events and serves HTTP: database pool, DLQ
/// producer, EventProcessor + ConsumerLoop (consumer group = service name, subscribed to the
/// topics its handler consumes) and the HTTP server.
/// Exports consumer_lag{topic}: this member's messages not yet committed, from librdkafka's
/// statistics every 5 s. Stop actions are registered so that the consumer stops first and the
/// pool last.
void StartConsumerService(const config::CommonConfig& cfg, StopStack& stops,
                          const HandlerFactory& make_handler, const RouterFactory& routes);

}  // namespace saga::runtime
