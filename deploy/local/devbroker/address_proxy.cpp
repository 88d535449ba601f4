#include "address_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace saga::devbroker {
namespace {

std::pair<std::string, std::uint16_t> SplitHostPort(const std::string& text,
                                                    const std::string& whole) {
  const auto colon = text.rfind(':');
  const auto bad = [&] {
    return std::invalid_argument("'" + whole + "' is not HOST:PORT[=ADVERTISED_HOST:PORT]");
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) throw bad();
  const auto port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
    throw bad();
  }
  const auto port = std::stoul(port_text);
  if (port == 0 || port > 65535) throw bad();
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

// Big-endian reads and writes over a response frame.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  std::int16_t I16() { return static_cast<std::int16_t>(Unsigned(2)); }
  std::int32_t I32() { return static_cast<std::int32_t>(Unsigned(4)); }
  /// A (nullable) string: int16 length, -1 for null.
  void SkipString() {
    const auto len = I16();
    if (len > 0) Take(static_cast<std::size_t>(len));
  }
  std::size_t Position() const { return pos_; }
  std::string_view Rest() const { return data_.substr(pos_); }

 private:
  std::uint32_t Unsigned(std::size_t n) {
    const auto bytes = Take(n);
    std::uint32_t v = 0;
    for (const char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
  }
  std::string_view Take(std::size_t n) {
    if (data_.size() - pos_ < n) throw std::runtime_error("truncated Kafka response");
    const auto out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

void PutI16(std::string& out, std::int16_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}
void PutI32(std::string& out, std::int32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutString(std::string& out, const std::string& s) {
  PutI16(out, static_cast<std::int16_t>(s.size()));
  out += s;
}

// Copies from the reader's position up to (not including) the host of a broker entry, then
// writes the new host and port in place of the old ones.
void ReplaceAddress(Reader& r, std::string_view frame, std::size_t& copied, std::string& out,
                    const std::string& host, std::int32_t port) {
  out.append(frame.substr(copied, r.Position() - copied));
  r.SkipString();
  (void)r.I32();
  copied = r.Position();
  PutString(out, host);
  PutI32(out, port);
}

bool ReadFull(int fd, char* buf, std::size_t n) {
  while (n > 0) {
    const auto got = ::recv(fd, buf, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buf += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool WriteFull(int fd, const char* buf, std::size_t n) {
  while (n > 0) {
    const auto sent = ::send(fd, buf, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    buf += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

// One Kafka frame (int32 length, then the bytes) without its length; false at end of stream.
bool ReadFrame(int fd, std::string& frame) {
  char len_bytes[4];
  if (!ReadFull(fd, len_bytes, 4)) return false;
  const auto len = static_cast<std::uint32_t>(static_cast<unsigned char>(len_bytes[0]) << 24 |
                                              static_cast<unsigned char>(len_bytes[1]) << 16 |
                                              static_cast<unsigned char>(len_bytes[2]) << 8 |
                                              static_cast<unsigned char>(len_bytes[3]));
  if (len > 256u * 1024 * 1024) return false;  // not Kafka, or corrupt
  frame.resize(len);
  return ReadFull(fd, frame.data(), len);
}

bool WriteFrame(int fd, const std::string& frame) {
  std::string len;
  PutI32(len, static_cast<std::int32_t>(frame.size()));
  return WriteFull(fd, len.data(), len.size()) && WriteFull(fd, frame.data(), frame.size());
}

int ConnectLoopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void NoDelay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

}  // namespace

ListenSpec ListenSpec::Parse(const std::string& text) {
  ListenSpec spec;
  const auto eq = text.find('=');
  std::tie(spec.bind_host, spec.bind_port) = SplitHostPort(text.substr(0, eq), text);
  if (eq == std::string::npos) {
    spec.advertised_host = spec.bind_host;
    spec.advertised_port = spec.bind_port;
  } else {
    std::tie(spec.advertised_host, spec.advertised_port) = SplitHostPort(text.substr(eq + 1), text);
  }
  return spec;
}

std::string RewriteBrokerAddresses(std::int16_t api_key, std::int16_t api_version,
                                   std::string_view frame, const std::string& host,
                                   std::int32_t port) {
  if (api_key != kMetadata && api_key != kFindCoordinator) return std::string(frame);
  const auto max = api_key == kMetadata ? kMetadataMaxVersion : kFindCoordinatorMaxVersion;
  if (api_version < 0 || api_version > max) {
    throw std::runtime_error("cannot rewrite version " + std::to_string(api_version) + " of API " +
                             std::to_string(api_key));
  }
  Reader r(frame);
  std::string out;
  out.reserve(frame.size() + 64);
  std::size_t copied = 0;
  (void)r.I32();  // correlation id
  if (api_key == kMetadata) {
    if (api_version >= 3) (void)r.I32();  // throttle time
    const auto brokers = r.I32();
    for (std::int32_t i = 0; i < brokers; ++i) {
      (void)r.I32();  // node id
      ReplaceAddress(r, frame, copied, out, host, port);
      if (api_version >= 1) r.SkipString();  // rack
    }
  } else {
    if (api_version >= 1) {
      (void)r.I32();   // throttle time
      (void)r.I16();   // error code
      r.SkipString();  // error message
    } else {
      (void)r.I16();  // error code
    }
    (void)r.I32();  // node id
    ReplaceAddress(r, frame, copied, out, host, port);
  }
  out.append(frame.substr(copied));
  return out;
}

struct AddressProxy::Connection {
  int client_fd;
  int upstream_fd;
  std::mutex mu;
  std::map<std::int32_t, std::pair<std::int16_t, std::int16_t>> pending;  // correlation id -> api
  std::once_flag closed;

  Connection(int client, int upstream) : client_fd(client), upstream_fd(upstream) {}
  ~Connection() {
    ::close(client_fd);
    ::close(upstream_fd);
  }
  /// Ends both directions; each thread's next read returns and the thread exits.
  void Shutdown() {
    std::call_once(closed, [this] {
      ::shutdown(client_fd, SHUT_RDWR);
      ::shutdown(upstream_fd, SHUT_RDWR);
    });
  }
};

AddressProxy::AddressProxy(ListenSpec spec, std::uint16_t upstream_port)
    : spec_(std::move(spec)), upstream_port_(upstream_port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const auto port = std::to_string(spec_.bind_port);
  if (const int rc = ::getaddrinfo(spec_.bind_host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    throw std::runtime_error("--listen " + spec_.bind_host + ": " + ::gai_strerror(rc));
  }
  listen_fd_ = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  const int on = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const bool ok = listen_fd_ >= 0 && ::bind(listen_fd_, res->ai_addr, res->ai_addrlen) == 0 &&
                  ::listen(listen_fd_, 64) == 0;
  const int err = errno;
  ::freeaddrinfo(res);
  if (!ok) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("cannot listen on " + spec_.bind_host + ":" + port + ": " +
                             std::strerror(err));
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

AddressProxy::~AddressProxy() { Stop(); }

void AddressProxy::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard lock(mu_);
    for (auto& weak : connections_) {
      if (auto conn = weak.lock()) conn->Shutdown();
    }
    connections_.clear();
  }
  std::unique_lock lock(live_mu_);
  live_cv_.wait(lock, [this] { return live_threads_ == 0; });
}

void AddressProxy::AcceptLoop() {
  while (!stopping_.load()) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (stopping_.load()) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors and the like: wait instead of spinning.
      std::cerr << "devbroker: accept on " << spec_.bind_host << ":" << spec_.bind_port
                << " failed: " << std::strerror(errno) << std::endl;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    const int upstream = ConnectLoopback(upstream_port_);
    if (upstream < 0) {
      ::close(client);
      continue;
    }
    NoDelay(client);
    NoDelay(upstream);
    auto conn = std::make_shared<Connection>(client, upstream);
    {
      std::lock_guard lock(mu_);
      std::erase_if(connections_, [](const std::weak_ptr<Connection>& w) { return w.expired(); });
      connections_.push_back(conn);
    }
    Serve(conn);
  }
}

void AddressProxy::Serve(const std::shared_ptr<Connection>& conn) {
  {
    std::lock_guard lock(live_mu_);
    live_threads_ += 2;
  }
  auto done = [this] {
    std::lock_guard lock(live_mu_);
    if (--live_threads_ == 0) live_cv_.notify_all();
  };
  // Requests: note which API each correlation id asked, forward unchanged.
  std::thread([conn, done] {
    std::string frame;
    while (ReadFrame(conn->client_fd, frame)) {
      if (frame.size() >= 8) {
        Reader r(frame);
        const auto key = r.I16();
        const auto version = r.I16();
        const auto correlation = r.I32();
        if (key == kMetadata || key == kFindCoordinator) {
          std::lock_guard lock(conn->mu);
          conn->pending[correlation] = {key, version};
        }
      }
      if (!WriteFrame(conn->upstream_fd, frame)) break;
    }
    conn->Shutdown();
    done();
  }).detach();
  // Responses: rewrite the broker addresses of the noted ones, forward.
  std::thread([this, conn, done] {
    std::string frame;
    try {
      while (ReadFrame(conn->upstream_fd, frame)) {
        if (frame.size() >= 4) {
          std::pair<std::int16_t, std::int16_t> api{-1, -1};
          const auto correlation = Reader(frame).I32();
          {
            std::lock_guard lock(conn->mu);
            if (const auto it = conn->pending.find(correlation); it != conn->pending.end()) {
              api = it->second;
              conn->pending.erase(it);
            }
          }
          if (api.first >= 0) {
            frame = RewriteBrokerAddresses(api.first, api.second, frame, spec_.advertised_host,
                                           spec_.advertised_port);
          }
        }
        if (!WriteFrame(conn->client_fd, frame)) break;
      }
    } catch (const std::exception& e) {
      std::cerr << "devbroker: closing a proxied connection: " << e.what() << std::endl;
    }
    conn->Shutdown();
    done();
  }).detach();
}

}  // namespace saga::devbroker
