#pragma once

// Makes the development broker reachable from other hosts or containers. librdkafka's mock
// cluster listens on 127.0.0.1 only and names itself 127.0.0.1:<random port> in Metadata and
// FindCoordinator responses, so a client elsewhere could bootstrap through a plain TCP forwarder
// but would then connect to its own loopback. The proxy forwards Kafka frames both ways and
// rewrites the broker address in those two responses to the one clients use (for example
// kafka:9092 on a compose network). docs/adr/0001-image-and-compose-tested-with-podman.md.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace saga::devbroker {

/// --listen BIND_HOST:PORT[=ADVERTISED_HOST:PORT]; without "=..." clients use the bind address.
struct ListenSpec {
  std::string bind_host;
  std::uint16_t bind_port = 0;
  std::string advertised_host;
  std::uint16_t advertised_port = 0;

  /// Throws std::invalid_argument naming the text if it is not of that form.
  static ListenSpec Parse(const std::string& text);
};

/// Kafka API keys whose responses name brokers.
inline constexpr std::int16_t kMetadata = 3;
inline constexpr std::int16_t kFindCoordinator = 10;
/// The newest versions of those two whose responses the proxy can rewrite (the last ones before
/// the flexible encodings); devbroker caps the mock cluster at them.
inline constexpr std::int16_t kMetadataMaxVersion = 8;
inline constexpr std::int16_t kFindCoordinatorMaxVersion = 2;

/// `response` is one response frame without its length prefix (correlation id first). For
/// Metadata and FindCoordinator responses it returns the frame with every broker's host and port
/// replaced by `host` and `port`; other responses come back unchanged. Throws
/// std::runtime_error on a truncated frame or a version it cannot read.
std::string RewriteBrokerAddresses(std::int16_t api_key, std::int16_t api_version,
                                   std::string_view response, const std::string& host,
                                   std::int32_t port);

/// Accepts clients on one listen address and forwards each connection to the mock broker at
/// 127.0.0.1:upstream_port, rewriting broker addresses to the advertised one. Blocking sockets,
/// two threads per connection: a development tool with a handful of clients.
class AddressProxy {
 public:
  /// Binds and listens; throws std::runtime_error if the address cannot be bound.
  AddressProxy(ListenSpec spec, std::uint16_t upstream_port);
  ~AddressProxy();
  AddressProxy(const AddressProxy&) = delete;
  AddressProxy& operator=(const AddressProxy&) = delete;

  const ListenSpec& Spec() const { return spec_; }
  /// Closes the listener and every forwarded connection, and joins the threads.
  void Stop();

 private:
  struct Connection;
  void AcceptLoop();
  void Serve(const std::shared_ptr<Connection>& conn);

  ListenSpec spec_;
  std::uint16_t upstream_port_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::thread acceptor_;
  // Forwarding threads still running (two per connection), so that Stop() can wait for them.
  std::mutex live_mu_;
  std::condition_variable live_cv_;
  int live_threads_ = 0;
};

}  // namespace saga::devbroker
