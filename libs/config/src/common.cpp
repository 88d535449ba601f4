#include "saga/config/common.hpp"

#include <set>

namespace saga::config {

CommonConfig CommonConfig::Load(const Env& env, const ServiceDefaults& d) {
  CommonConfig c;
  c.service = d.service;
  c.http.bind = env.String("HTTP_BIND", "0.0.0.0", "listen address");
  c.http.port = static_cast<int>(
      env.Int("HTTP_PORT", d.http_port, 0, 65535, "listen port (0 = any free port)"));
  c.http.io_threads =
      static_cast<int>(env.Int("HTTP_IO_THREADS", 1, 1, 64, "threads doing socket I/O"));
  c.http.worker_threads = static_cast<int>(
      env.Int("HTTP_WORKER_THREADS", d.http_worker_threads, 1, 256,
              "threads running HTTP handlers (blocking database calls happen here); POST /orders "
              "queues for the order writer threads instead"));

  c.http.max_connections = static_cast<int>(
      env.Int("HTTP_MAX_CONNECTIONS", 0, 0, 1000000,
              "open HTTP connections at most; past it a connection is answered 503 "
              "TOO_MANY_CONNECTIONS (GET /health/live still 200) and closed. 0: three quarters of "
              "the file descriptor limit, at most 4096"));

  c.db.host = env.String("DB_HOST", "127.0.0.1", "MySQL/MariaDB server host");
  c.db.port = static_cast<int>(env.Int("DB_PORT", 3307, 1, 65535, "MySQL/MariaDB server port"));
  c.db.user =
      env.String("DB_USER", d.db_user, "the service's own database account (deploy/mysql)");
  c.db.password = env.String("DB_PASSWORD", d.db_password, "the password of DB_USER");
  c.db.name = env.String("DB_NAME", d.db_name, "the service's schema");
  c.db.pool_size =
      static_cast<int>(env.Int("DB_POOL_SIZE", 8, 1, 512, "database connections per process"));
  c.db.connect_timeout = std::chrono::seconds(
      env.Int("DB_CONNECT_TIMEOUT_S", 5, 1, 300, "database connect timeout in seconds"));

  c.kafka.bootstrap =
      env.String("KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka brokers (host:port, comma-separated)");
  c.kafka.linger_ms = static_cast<int>(
      env.Int("KAFKA_LINGER_MS", 2, 0, 1000, "producer linger in milliseconds"));
  c.kafka.consumer_threads = static_cast<int>(
      env.Int("CONSUMER_THREADS", d.consumer_threads, 1, 64,
              "consumer-group members in this process, each a thread with its own partitions "
              "(at most as many as the topics have partitions do work)"));
  c.kafka.consumer_stall = std::chrono::milliseconds(
      env.Int("CONSUMER_STALL_MS", 30000, 100, 3600000,
              "a consumer member that keeps failing (an error that may pass, retried with backoff) "
              "for this long without progress makes /health/ready answer 503 with the topic, "
              "partition and error"));

  c.log_level = env.String("LOG_LEVEL", "info", "trace, debug, info, warn, error or off");
  static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.contains(c.log_level)) {
    throw ConfigError("LOG_LEVEL='" + c.log_level +
                      "' is not one of trace, debug, info, warn, error, off");
  }
  c.relay_wake = env.String("RELAY_WAKE_ADDR", "",
                            "host:port (UDP) where the relay takes wake-up hints after this "
                            "service commits outbox rows; empty: no hints");
  if (!c.relay_wake.empty()) SplitHostPort(c.relay_wake, "RELAY_WAKE_ADDR");
  if (c.db.user.empty()) throw ConfigError("DB_USER must be set");
  return c;
}

}  // namespace saga::config
