#include "saga/order/app.hpp"

#include <algorithm>

#include "saga/order/admission.hpp"
#include "saga/order/expiry.hpp"
#include "saga/order/final_status_handler.hpp"
#include "saga/order/http_api.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/outbox/wake.hpp"
#include "saga/runtime/retention.hpp"
#include "sql.hpp"
#include "saga/runtime/service.hpp"

namespace saga::order {

Config Config::Load(const config::Env& env) {
  Config c;
  c.common = config::CommonConfig::Load(
      env, {.service = "order", .http_port = 8080, .db_user = "order_svc",
            .db_password = "order_pw", .db_name = "order_db"});
  c.max_batch = static_cast<std::size_t>(
      env.Int("ORDER_BATCH_MAX", static_cast<std::int64_t>(c.max_batch), 1, 1000,
              "most orders written in one transaction (group commit); 1 writes each alone"));
  c.batches_in_flight = static_cast<int>(
      env.Int("ORDER_BATCHES_IN_FLIGHT", c.batches_in_flight, 1, 64,
              "order transactions writing at once, one writer thread each; a request that "
              "finds them all busy joins the next batch"));
  // Off by default (docs/adr/0009).
  c.relay_hints = env.Bool("ORDER_RELAY_HINTS", c.relay_hints,
                           "also hint the relay (RELAY_WAKE_ADDR) after each transaction of new "
                           "orders");
  // docs/adr/0016.
  c.max_outbox_backlog = env.Int("ORDER_MAX_OUTBOX_BACKLOG", c.max_outbox_backlog, 0, 100'000'000,
                                 "POST /orders answers 429 OVERLOADED while the order outbox holds more "
                                 "unpublished events than this; 0 turns the limit off");
  c.max_outbox_age_ms = env.Int("ORDER_MAX_OUTBOX_AGE_MS", c.max_outbox_age_ms, 0, 86'400'000,
                                "POST /orders answers 429 OVERLOADED while the oldest unpublished order "
                                "event is older than this (ms); 0 turns the limit off");
  c.max_queued = env.Int("ORDER_MAX_QUEUED", c.max_queued, 0, 10'000'000,
                         "POST /orders answers 429 OVERLOADED while more orders than this wait for a "
                         "writer; 0 turns the limit off");
  c.max_open = env.Int("ORDER_MAX_OPEN", c.max_open, 0, 10'000'000,
                       "POST /orders answers 429 OVERLOADED while more orders than this are still PENDING "
                       "(sagas under way: the consumers' lag shows here); 0 turns the limit off");
  // docs/adr/0017.
  c.deadline_ms = env.Int("SAGA_DEADLINE_MS", c.deadline_ms, 100, 86'400'000,
                          "how long a saga may stay open (ms): an order still PENDING this long after it "
                          "was placed (and again each such time after) is sent as saga.expired, and "
                          "completion aborts its saga");
  c.retention = runtime::LoadRetention(env, "the inbox and the Idempotency-Keys");
  return c;
}

void Start(const Config& cfg, runtime::StopStack& stops) {
  auto wake = std::make_shared<outbox::WakeSender>(
      cfg.relay_hints ? cfg.common.relay_wake : std::string(), cfg.common.db.name);
  // The order service's own consumer (final statuses) writes no outbox rows: it sends no hints.
  auto consumer_cfg = cfg.common;
  consumer_cfg.relay_wake.clear();
  runtime::StartConsumerService(
      consumer_cfg, stops, [](metrics::Registry&) { return std::make_shared<FinalStatusHandler>(); },
      [&stops, max_batch = cfg.max_batch, in_flight = cfg.batches_in_flight, wake,
       limits = Admission::Limits{cfg.max_outbox_backlog, cfg.max_outbox_age_ms, cfg.max_queued, cfg.max_open},
       deadline_ms = cfg.deadline_ms, retention = cfg.retention](db::Pool& pool, metrics::Registry& registry) {
        std::function<void()> committed;
        if (wake->Enabled()) committed = [wake] { wake->Notify(); };
        // Scanned ten times per deadline, at most once a second.
        const auto every = std::chrono::milliseconds(std::clamp<std::int64_t>(deadline_ms / 10, 10, 1000));
        auto expiry = std::make_shared<Expiry>(pool, Expiry::Options{deadline_ms, every}, registry);
        stops.Push("deadline scan", [expiry] { expiry->Stop(); });
        runtime::StartRetention(pool, registry, stops,
                                {{"inbox", outbox::sql::kSweepInbox},
                                 {"idempotency_keys", sql::kSweepKeys, runtime::Sweep::Cutoff::kDateTime}},
                                retention);
        return MakeRouter(OrderService(pool, max_batch, in_flight, std::move(committed), deadline_ms), registry,
                          std::make_shared<Admission>(pool, limits, registry));
      });
}

}  // namespace saga::order
