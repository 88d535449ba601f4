#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace saga::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

/// Sets up the process-wide logger; `level` is one of trace|debug|info|warn|error|off.
void Init(std::string_view service, std::string_view level);

/// Formats one log line as a JSON object (exposed for tests).
std::string FormatLine(std::string_view service, Level level, std::string_view msg,
                       const nlohmann::json& fields);

bool Enabled(Level level);
void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, msg, f);
}

}  // namespace saga::log
