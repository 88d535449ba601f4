#include "saga/config/program.hpp"

namespace saga::config {

std::string_view Version() { return SAGA_VERSION; }

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " + std::string(Version()) + " (outbox-saga)";
}

std::string SettingsHelp(const std::vector<SettingInfo>& settings) {
  std::string out;
  for (const auto& s : settings) {
    out += "  " + s.name + "=" + s.fallback;
    if (!s.range.empty()) out += "  [" + s.range + "]";
    out += "\n      " + s.meaning + "\n";
  }
  return out;
}

}  // namespace saga::config
