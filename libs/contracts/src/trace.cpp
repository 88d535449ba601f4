#include "saga/contracts/trace.hpp"

#include <cctype>
#include <cstdio>
#include <random>

namespace saga::contracts {
namespace {

bool IsLowerHex(const std::string& s, std::size_t from, std::size_t len) {
  bool nonzero = false;
  for (std::size_t i = from; i < from + len; ++i) {
    const char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    nonzero = nonzero || c != '0';
  }
  return nonzero;
}

std::string RandomHex(std::size_t chars) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    out += buf;
  }
  out.resize(chars);
  return out;
}

}  // namespace

bool IsValidTraceparent(const std::string& tp) {
  // 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>
  if (tp.size() != 55 || tp.compare(0, 3, "00-") != 0 || tp[35] != '-' || tp[52] != '-') {
    return false;
  }
  return IsLowerHex(tp, 3, 32) && IsLowerHex(tp, 36, 16) &&
         std::isxdigit(static_cast<unsigned char>(tp[53])) &&
         std::isxdigit(static_cast<unsigned char>(tp[54]));
}

std::string ContinueTrace(const std::string& incoming) {
  const std::string trace = IsValidTraceparent(incoming) ? incoming.substr(3, 32) : RandomHex(32);
  const std::string flags = IsValidTraceparent(incoming) ? incoming.substr(53, 2) : "01";
  return "00-" + trace + "-" + RandomHex(16) + "-" + flags;
}

std::string TraceId(const std::string& tp) {
  return IsValidTraceparent(tp) ? tp.substr(3, 32) : std::string();
}

}  // namespace saga::contracts
