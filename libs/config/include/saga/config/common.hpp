#pragma once

#include <chrono>
#include <string>

#include "saga/config/env.hpp"

namespace saga::config {

struct DbConfig {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;
  std::string name;
  int pool_size = 8;
  std::chrono::seconds connect_timeout{5};
};

struct KafkaConfig {
  std::string bootstrap;
  int linger_ms = 2;
  int consumer_threads = 1;  // consumer-group members in this process, each with its own partitions
  std::chrono::milliseconds consumer_stall{30000};  // failing this long without progress: not ready
};

struct HttpConfig {
  std::string bind = "0.0.0.0";
  int port = 8080;
  int io_threads = 1;
  int worker_threads = 8;
  int max_connections = 0;  // 0: three quarters of the file descriptor limit, at most 4096
};

/// Defaults that differ between services (port, database account).
struct ServiceDefaults {
  std::string service;
  int http_port = 8080;
  std::string db_user;
  std::string db_password;
  std::string db_name;
  int http_worker_threads = 8;  // HTTP_WORKER_THREADS unless set
  int consumer_threads = 1;     // CONSUMER_THREADS unless set
};

/// Settings every service reads: HTTP_*, DB_*, KAFKA_*, CONSUMER_*, LOG_LEVEL, RELAY_WAKE_ADDR.
struct CommonConfig {
  std::string service;
  HttpConfig http;
  DbConfig db;
  KafkaConfig kafka;
  std::string log_level = "info";
  /// RELAY_WAKE_ADDR: host:port where the relay takes wake-up hints after this service commits
  /// outbox rows (empty: no hints; the relay then finds the rows on its own timer).
  std::string relay_wake;

  static CommonConfig Load(const Env& env, const ServiceDefaults& defaults);
};

}  // namespace saga::config
