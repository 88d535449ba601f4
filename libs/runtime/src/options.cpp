#include "saga/runtime/options.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace saga::runtime {

db::Options DbOptions(const config::CommonConfig& cfg) {
  db::Options o;
  o.host = cfg.db.host;
  o.port = cfg.db.port;
  o.user = cfg.db.user;
  o.password = cfg.db.password;
  o.database = cfg.db.name;
  o.pool_size = cfg.db.pool_size;
  o.connect_timeout = cfg.db.connect_timeout;
  return o;
}

http::ServerOptions HttpOptions(const config::CommonConfig& cfg) {
  http::ServerOptions o;
  o.bind = cfg.http.bind;
  o.port = cfg.http.port;
  o.io_threads = cfg.http.io_threads;
  o.worker_threads = cfg.http.worker_threads;
  o.max_connections = cfg.http.max_connections;
  if (o.max_connections == 0) {
    // Room for the connections and for everything else a process holds (database, broker, logs).
    rlimit fds{};
    const auto limit = getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY
                           ? static_cast<long long>(fds.rlim_cur)
                           : 1LL << 20;
    o.max_connections = static_cast<int>(std::clamp(limit * 3 / 4, 16LL, 4096LL));
  }
  return o;
}

kafka::ProducerOptions ProducerOptions(const config::CommonConfig& cfg, const std::string& client_id) {
  kafka::ProducerOptions o;
  o.bootstrap = cfg.kafka.bootstrap;
  o.client_id = client_id;
  o.linger_ms = cfg.kafka.linger_ms;
  return o;
}

kafka::ConsumerOptions ConsumerOptions(const config::CommonConfig& cfg, const std::string& group,
                                       std::vector<std::string> topics) {
  kafka::ConsumerOptions o;
  o.bootstrap = cfg.kafka.bootstrap;
  o.group_id = group;
  o.topics = std::move(topics);
  return o;
}

}  // namespace saga::runtime
