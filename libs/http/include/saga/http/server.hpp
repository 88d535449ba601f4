#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "saga/http/router.hpp"
#include "saga/metrics/metrics.hpp"

namespace saga::http {

struct ServerOptions {
  std::string bind = "0.0.0.0";
  int port = 8080;  // 0 picks a free port (tests)
  int io_threads = 1;
  int worker_threads = 8;
  std::chrono::seconds read_timeout{30};  // for a whole request, and idle keep-alive
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 8 * 1024;
  /// Open connections at most (runtime::HttpOptions derives it from HTTP_MAX_CONNECTIONS and the
  /// descriptor limit). A connection past it, or one taken while the process is out of file
  /// descriptors, is answered at once and closed (docs/architecture.md, "Host limits").
  int max_connections = 4096;
};

/// One named readiness check: up, or down with what is wrong (shown in /health/ready).
struct Check {
  Check(bool is_up = true, std::string why = {}) : up(is_up), detail(std::move(why)) {}  // NOLINT: from bool
  bool up;
  std::string detail;
};

/// Named readiness checks (e.g. {"database": true, "consumer": {false, "stalled ..."}}); all up
/// means ready (200), otherwise 503 with each failing check's detail under "reasons".
using ReadinessCheck = std::function<std::map<std::string, Check>()>;

/// The HTTP server every service runs. Mounts /health/live, /health/ready and /metrics.
class Server {
 public:
  Server(ServerOptions options, Router router, metrics::Registry& registry, ReadinessCheck ready);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds (throws if the port is taken) and starts the I/O and worker threads.
  void Start();
  /// Stops accepting, lets running handlers finish, joins all threads. Idempotent.
  void Stop();
  /// The bound port (useful when started on port 0).
  int Port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saga::http
