#include "saga/relay/relay_worker.hpp"

#include <cppconn/resultset.h>

#include <algorithm>
#include <cstdlib>

#include "saga/log/log.hpp"

namespace saga::relay {
namespace {

std::string Table(const std::string& schema) { return "`" + schema + "`.outbox"; }

}  // namespace

RelayMetrics::RelayMetrics(metrics::Registry& r)
    : backlog(prometheus::BuildGauge()
                  .Name("relay_outbox_backlog")
                  .Help("Unpublished outbox rows (sampled by the lock holder)")
                  .Register(r.Raw())),
      oldest_age(prometheus::BuildGauge()
                     .Name("relay_outbox_oldest_age_seconds")
                     .Help("Age of the oldest unpublished outbox row (0 when empty)")
                     .Register(r.Raw())),
      leader(prometheus::BuildGauge()
                 .Name("relay_leader")
                 .Help("1 if this relay holds the schema's publish lock")
                 .Register(r.Raw())),
      published(prometheus::BuildCounter()
                    .Name("relay_published_total")
                    .Help("Outbox rows published, acknowledged and deleted")
                    .Register(r.Raw())),
      failures(prometheus::BuildCounter()
                   .Name("relay_failures_total")
                   .Help("Relay passes that failed (database or broker), by kind")
                   .Register(r.Raw())),
      batch_seconds(prometheus::BuildHistogram()
                        .Name("relay_batch_duration_seconds")
                        .Help("Time to read, publish, await acks and delete one batch")
                        .Register(r.Raw())),
      wake_hints(prometheus::BuildCounter()
                     .Name("relay_wake_hints_total")
                     .Help("Wake-up hints received from the services (RELAY_WAKE_BIND), by schema")
                     .Register(r.Raw())) {}

RelayWorker::RelayWorker(RelayOptions options, db::Options db, kafka::ProducerOptions kafka,
                         RelayMetrics& metrics)
    : options_(std::move(options)),
      db_options_(std::move(db)),
      producer_(kafka),
      metrics_(metrics) {
  // Every relay statement stands alone (a read, a delete of published rows, the named lock):
  // autocommit spares a COMMIT round trip after each.
  db_options_.autocommit = true;
  const auto table = Table(options_.schema);
  select_sql_ = "SELECT id, event_id, event_type, order_id, envelope, COALESCE(traceparent, '') FROM " +
                table + " ORDER BY id LIMIT ?";
  delete_prefix_ = "DELETE FROM " + table + " WHERE id IN (";
  stats_sql_ =
      "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), UTC_TIMESTAMP(6)), 0) "
      "FROM " + table;
}

RelayWorker::~RelayWorker() { DropConnection(); }

void RelayWorker::DropConnection() {
  conn_.reset();  // closing the session releases the named lock
  leading_ = false;
  metrics_.leader.Add({{"schema", options_.schema}}).Set(0);
}

bool RelayWorker::TryLead() {
  if (leading_) return true;
  try {
    if (!conn_) conn_ = std::make_unique<db::Connection>(db_options_);
    db_ok_ = true;
    const bool got = db::detail::Translate(conn_.get(), [&] {
      auto& st = conn_->Prepare("SELECT GET_LOCK(?, 0)");
      st.setString(1, "outbox_relay." + options_.schema);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      return rs->next() && !rs->isNull(1) && rs->getInt(1) == 1;
    });
    leading_ = got;
    metrics_.leader.Add({{"schema", options_.schema}}).Set(got ? 1 : 0);
    if (got) log::Info("relay holds the publish lock", {{"schema", options_.schema}});
    return got;
  } catch (const db::Error& e) {
    db_ok_ = false;
    log::Warn("relay cannot reach its database", {{"schema", options_.schema}, {"error", e.what()}});
    DropConnection();
    return false;
  }
}

void RelayWorker::UpdateStats() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_stats_) return;
  next_stats_ = now + options_.stats_interval;
  auto rs = conn_->Query(stats_sql_);
  if (rs->next()) {
    metrics_.backlog.Add({{"schema", options_.schema}}).Set(static_cast<double>(rs->getInt64(1)));
    metrics_.oldest_age.Add({{"schema", options_.schema}})
        .Set(static_cast<double>(rs->getInt64(2)) / 1e6);
  }
}

void RelayWorker::DatabaseFailed() {
  db_ok_ = false;
  metrics_.failures.Add({{"schema", options_.schema}, {"kind", "database"}}).Increment();
  DropConnection();
}

RelayWorker::Batch RelayWorker::ReadBatch() {
  Batch batch;
  try {
    db::detail::Translate(conn_.get(), [&] {
      UpdateStats();
      auto& st = conn_->Prepare(select_sql_);
      st.setUInt64(1, options_.batch_size);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) {
        batch.ids.push_back(rs->getInt64(1));
        kafka::OutMessage m;
        m.topic = rs->getString(3).asStdString();
        m.key = rs->getString(4).asStdString();
        m.value = rs->getString(5).asStdString();
        m.headers = {{"event-type", m.topic},
                     {"event-id", rs->getString(2).asStdString()},
                     {"traceparent", rs->getString(6).asStdString()}};
        batch.messages.push_back(std::move(m));
      }
    });
  } catch (const db::Error&) {
    DatabaseFailed();
    throw;
  }
  return batch;
}

void RelayWorker::DeletePublished(const std::vector<std::int64_t>& ids) {
  std::string sql = delete_prefix_;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) sql += ',';
    sql += std::to_string(ids[i]);
  }
  sql += ")";
  try {
    conn_->Execute(sql);
  } catch (const db::Error&) {
    // Published but not deleted: they will be published again (consumers dedupe by eventId).
    DatabaseFailed();
    throw;
  }
}

std::size_t RelayWorker::PublishOnce() {
  if (!TryLead()) return 0;
  const auto started = std::chrono::steady_clock::now();
  const auto batch = ReadBatch();
  if (batch.ids.empty()) return 0;

  const auto results = producer_.SendAndWait(batch.messages);
  std::vector<std::int64_t> acked;
  std::string first_error;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok) {
      acked.push_back(batch.ids[i]);
    } else if (first_error.empty()) {
      first_error = results[i].error;
    }
  }
  kafka_ok_ = first_error.empty();
  if (options_.crash_after_publish && !acked.empty()) {
    log::Warn("failpoint after_publish: exiting before delete", {{"schema", options_.schema}});
    std::_Exit(86);
  }
  if (!acked.empty()) {
    DeletePublished(acked);
    metrics_.published.Add({{"schema", options_.schema}}).Increment(static_cast<double>(acked.size()));
  }
  metrics_.batch_seconds.Add({{"schema", options_.schema}}, metrics::LatencyBuckets())
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!first_error.empty()) {
    metrics_.failures.Add({{"schema", options_.schema}, {"kind", "broker"}}).Increment();
    throw kafka::KafkaError("broker did not acknowledge " + std::to_string(batch.ids.size() - acked.size()) +
                            " of " + std::to_string(batch.ids.size()) + " messages: " + first_error);
  }
  return acked.size();
}

void RelayWorker::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

void RelayWorker::Pause(std::chrono::steady_clock::time_point until,
                        std::chrono::steady_clock::time_point earliest, const std::atomic<bool>& stop) {
  using clock = std::chrono::steady_clock;
  std::unique_lock lock(wake_mu_);
  while (!stop.load()) {
    const auto now = clock::now();
    if (now >= until || (woken_ && now >= earliest)) break;
    // Wake up in slices of at most 50 ms so that a stop request is seen quickly.
    const auto next = woken_ ? std::min(until, earliest) : until;
    wake_cv_.wait_until(lock, std::min(next, now + std::chrono::milliseconds{50}));
  }
}

void RelayWorker::Run(const std::atomic<bool>& stop) {
  using std::chrono::milliseconds;
  using clock = std::chrono::steady_clock;
  // Learn every topic's partitions and leaders now: otherwise the first event to each topic waits
  // for a metadata request of its own (about 1 s on the development broker). If the broker is
  // not there yet, the first sends take that slower path.
  producer_.Reachable(std::chrono::milliseconds(2000));
  milliseconds idle{1};
  milliseconds backoff{50};
  while (!stop.load()) {
    {
      // Hints that arrive from here on may be about rows this pass does not see yet.
      std::lock_guard lock(wake_mu_);
      woken_ = false;
    }
    milliseconds sleep{0};
    bool hints_count = true;  // whether a hint may cut the sleep short
    milliseconds min_gap{0};
    try {
      if (!TryLead()) {
        sleep = options_.lock_retry;
        hints_count = false;
      } else if (const auto published = PublishOnce(); published > 0) {
        idle = milliseconds{1};
        // A partial batch means the outbox is drained: let rows gather for a moment rather than
        // run back-to-back passes of a few rows, each a SELECT, a produce and a DELETE. A hint
        // (the next stage committed new rows) ends the pause early, but not before min_gap.
        if (published < options_.batch_size) {
          sleep = options_.busy_pause;
          min_gap = options_.wake_min_gap;
        }
      } else {
        sleep = idle;
        idle = std::min(idle * 2, options_.idle_max);
      }
      backoff = milliseconds{50};
    } catch (const std::exception& e) {
      log::Warn("relay pass failed; backing off",
                {{"schema", options_.schema}, {"error", e.what()}, {"backoffMs", backoff.count()}});
      sleep = backoff;
      hints_count = false;
      backoff = std::min(backoff * 2, options_.error_backoff_max);
    }
    if (sleep.count() > 0) {
      const auto now = clock::now();
      Pause(now + sleep, hints_count ? now + min_gap : now + sleep, stop);
    }
  }
  DropConnection();
}

}  // namespace saga::relay
