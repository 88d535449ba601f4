#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace saga::config {

/// Thrown for a missing or malformed setting; what() names the variable.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Splits "host:port" (the host may be empty or a [bracketed] IPv6 literal; the port is
/// 0..65535). Throws ConfigError naming `what` (the setting) on anything else.
std::pair<std::string, std::string> SplitHostPort(const std::string& address, const std::string& what);

/// A snapshot of environment variables with typed, range-checked accessors.
class Env {
 public:
  explicit Env(std::map<std::string, std::string> vars);
  /// Snapshot of the current process environment.
  static Env FromProcess();
  /// Parses KEY=VALUE lines (as written to stack.env; `#` comments and `export ` allowed).
  static Env FromFile(const std::string& path);

  bool Has(const std::string& name) const;
  std::string String(const std::string& name, const std::string& fallback) const;
  /// Like String, but an unset or empty variable is an error.
  std::string RequiredString(const std::string& name) const;
  std::int64_t Int(const std::string& name, std::int64_t fallback, std::int64_t min,
                   std::int64_t max) const;
  bool Bool(const std::string& name, bool fallback) const;
  /// Comma-separated list; empty items are dropped.
  std::vector<std::string> List(const std::string& name, const std::string& fallback) const;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace saga::config
