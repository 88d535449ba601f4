#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
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

/// One setting as a program's `--help` lists it: read through Env, so the name, the default
/// and the range are the ones the code uses.
struct SettingInfo {
  std::string name;
  std::string fallback;  ///< the default as text; empty if there is none
  std::string range;     ///< "1..64", "true|false"; empty for free text
  std::string meaning;   ///< one line
};

/// A snapshot of environment variables with typed, range-checked accessors. Each accessor takes
/// the setting's meaning, which `--help` prints beside its default.
class Env {
 public:
  explicit Env(std::map<std::string, std::string> vars);
  /// Snapshot of the current process environment.
  static Env FromProcess();
  /// Parses KEY=VALUE lines (as written to stack.env; `#` comments and `export ` allowed).
  static Env FromFile(const std::string& path);

  bool Has(const std::string& name) const;
  std::string String(const std::string& name, const std::string& fallback,
                     std::string_view meaning = {}) const;
  /// Like String, but an unset or empty variable is an error.
  std::string RequiredString(const std::string& name, std::string_view meaning = {}) const;
  std::int64_t Int(const std::string& name, std::int64_t fallback, std::int64_t min,
                   std::int64_t max, std::string_view meaning = {}) const;
  bool Bool(const std::string& name, bool fallback, std::string_view meaning = {}) const;
  /// Comma-separated list; empty items are dropped.
  std::vector<std::string> List(const std::string& name, const std::string& fallback,
                                std::string_view meaning = {}) const;

  /// From now on each accessor also notes its setting here, once per name, in the order of the
  /// first read. A program's `--help` loads its configuration this way to list its settings.
  void Record(std::shared_ptr<std::vector<SettingInfo>> into) { record_ = std::move(into); }

 private:
  void Note(const std::string& name, std::string fallback, std::string range,
            std::string_view meaning) const;

  std::map<std::string, std::string> vars_;
  std::shared_ptr<std::vector<SettingInfo>> record_;
};

}  // namespace saga::config
