#include "saga/outbox/wake.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "saga/config/env.hpp"
#include "saga/log/log.hpp"

namespace saga::outbox {
namespace {

constexpr auto kResolveRetry = std::chrono::seconds(5);

struct AddrInfo {
  addrinfo* list = nullptr;
  ~AddrInfo() {
    if (list != nullptr) freeaddrinfo(list);
  }
};

}  // namespace

WakeSender::WakeSender(std::string address, std::string schema)
    : address_(std::move(address)), schema_(std::move(schema)) {
  if (!address_.empty()) config::SplitHostPort(address_, "relay wake address");
}

WakeSender::~WakeSender() {
  if (fd_ >= 0) close(fd_);
}

bool WakeSender::Resolve() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_resolve_) return false;
  next_resolve_ = now + kResolveRetry;
  const auto [host, port] = config::SplitHostPort(address_, "relay wake address");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  AddrInfo ai;
  if (const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &ai.list);
      rc != 0 || ai.list == nullptr) {
    log::Warn("relay wake address does not resolve yet; hints wait",
              {{"address", address_}, {"error", gai_strerror(rc)}});
    return false;
  }
  const int fd = socket(ai.list->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  std::memcpy(&peer_, ai.list->ai_addr, ai.list->ai_addrlen);
  peer_len_ = static_cast<socklen_t>(ai.list->ai_addrlen);
  fd_ = fd;
  return true;
}

void WakeSender::Notify() noexcept {
  if (address_.empty()) return;
  try {
    std::lock_guard lock(mu_);
    if (fd_ < 0 && !Resolve()) return;
    // Errors (no listener: ECONNREFUSED from an earlier ICMP answer; a full buffer) are
    // ignored: the relay's own timer covers a lost hint.
    (void)sendto(fd_, schema_.data(), schema_.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&peer_), peer_len_);
  } catch (...) {
  }
}

WakeListener::WakeListener(const std::string& address) {
  const auto hp = config::SplitHostPort(address, "relay wake address");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE;
  AddrInfo ai;
  if (const int rc = getaddrinfo(hp.first.empty() ? nullptr : hp.first.c_str(), hp.second.c_str(),
                                 &hints, &ai.list);
      rc != 0 || ai.list == nullptr) {
    throw std::runtime_error("relay wake address '" + address + "': " + gai_strerror(rc));
  }
  fd_ = socket(ai.list->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("relay wake socket: ") + std::strerror(errno));
  if (bind(fd_, ai.list->ai_addr, ai.list->ai_addrlen) != 0) {
    const std::string err = std::strerror(errno);
    close(fd_);
    throw std::runtime_error("cannot bind relay wake address '" + address + "' (udp): " + err);
  }
}

WakeListener::~WakeListener() {
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> WakeListener::Receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[128];
  const auto n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  if (n <= 0) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

int WakeListener::Port() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

}  // namespace saga::outbox
