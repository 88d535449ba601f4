#include "saga/config/env.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

extern char** environ;

namespace saga::config {

Env::Env(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

Env Env::FromProcess() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return Env(std::move(vars));
}

Env Env::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read environment file " + path);
  std::map<std::string, std::string> vars;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line.erase(0, 7);
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    vars[line.substr(0, eq)] = value;
  }
  return Env(std::move(vars));
}

bool Env::Has(const std::string& name) const {
  const auto it = vars_.find(name);
  return it != vars_.end() && !it->second.empty();
}

void Env::Note(const std::string& name, std::string fallback, std::string range,
                std::string_view meaning) const {
  if (!record_) return;
  for (const auto& s : *record_) {
    if (s.name == name) return;
  }
  record_->push_back({name, std::move(fallback), std::move(range), std::string(meaning)});
}

std::string Env::String(const std::string& name, const std::string& fallback,
                        std::string_view meaning) const {
  Note(name, fallback, "", meaning);
  return Has(name) ? vars_.at(name) : fallback;
}

std::string Env::RequiredString(const std::string& name, std::string_view meaning) const {
  Note(name, "", "", meaning);
  if (!Has(name)) throw ConfigError(name + " must be set");
  return vars_.at(name);
}

std::int64_t Env::Int(const std::string& name, std::int64_t fallback, std::int64_t min,
                      std::int64_t max, std::string_view meaning) const {
  Note(name, std::to_string(fallback), std::to_string(min) + ".." + std::to_string(max), meaning);
  if (!Has(name)) return fallback;
  const std::string& raw = vars_.at(name);
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (ec != std::errc() || ptr != raw.data() + raw.size()) {
    throw ConfigError(name + "='" + raw + "' is not an integer");
  }
  if (value < min || value > max) {
    throw ConfigError(name + "=" + raw + " is out of range [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]");
  }
  return value;
}

bool Env::Bool(const std::string& name, bool fallback, std::string_view meaning) const {
  Note(name, fallback ? "true" : "false", "true|false", meaning);
  if (!Has(name)) return fallback;
  const std::string& raw = vars_.at(name);
  if (raw == "1" || raw == "true" || raw == "yes" || raw == "on") return true;
  if (raw == "0" || raw == "false" || raw == "no" || raw == "off") return false;
  throw ConfigError(name + "='" + raw + "' is not a boolean (true/false)");
}

std::vector<std::string> Env::List(const std::string& name, const std::string& fallback,
                                   std::string_view meaning) const {
  Note(name, fallback, "", meaning);
  std::vector<std::string> out;
  std::stringstream ss(Has(name) ? vars_.at(name) : fallback);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::pair<std::string, std::string> SplitHostPort(const std::string& address, const std::string& what) {
  const auto colon = address.rfind(':');
  const auto port = colon == std::string::npos ? std::string() : address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    throw ConfigError(what + "='" + address + "' is not host:port (port 0-65535)");
  }
  auto host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, port};
}

}  // namespace saga::config
