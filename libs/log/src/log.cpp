#include "saga/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

namespace saga::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::string g_service = "saga";
std::shared_ptr<spdlog::logger> g_logger;
std::once_flag g_once;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

Level ParseLevel(std::string_view s) {
  if (s == "trace") return Level::kTrace;
  if (s == "debug") return Level::kDebug;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  if (s == "off") return Level::kOff;
  return Level::kInfo;
}

std::string NowIso() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

spdlog::logger& Logger() {
  std::call_once(g_once, [] {
    g_logger = spdlog::stdout_logger_mt("saga");
    g_logger->set_pattern("%v");
    g_logger->set_level(spdlog::level::trace);
    g_logger->flush_on(spdlog::level::trace);
  });
  return *g_logger;
}

}  // namespace

void Init(std::string_view service, std::string_view level) {
  g_service = std::string(service);
  g_level = ParseLevel(level);
  Logger();
}

std::string FormatLine(std::string_view service, Level level, std::string_view msg,
                       const nlohmann::json& fields) {
  nlohmann::ordered_json line;
  line["ts"] = NowIso();
  line["level"] = LevelName(level);
  line["service"] = service;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) line[k] = v;
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool Enabled(Level level) { return level >= g_level.load() && level != Level::kOff; }

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  if (!Enabled(level)) return;
  Logger().info(FormatLine(g_service, level, msg, fields));
}

}  // namespace saga::log
