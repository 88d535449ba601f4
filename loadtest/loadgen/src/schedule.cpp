#include "saga/loadgen/schedule.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace saga::loadgen {

namespace {

double ParseNumber(std::string_view s, std::string_view what) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    throw std::invalid_argument("bad " + std::string(what) + " '" + std::string(s) + "'");
  }
  return v;
}

std::int64_t ParseId(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v <= 0) {
    throw std::invalid_argument("bad id '" + std::string(s) + "' (ids are positive integers)");
  }
  return v;
}

}  // namespace

Stage ParseStage(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument("a stage is DURATION:RATE, like 30s:500, not '" + std::string(text) + "'");
  }
  auto dur = text.substr(0, colon);
  double scale = 1;
  if (dur.ends_with("ms")) {
    scale = 0.001;
    dur.remove_suffix(2);
  } else if (dur.ends_with("s")) {
    dur.remove_suffix(1);
  } else if (dur.ends_with("m")) {
    scale = 60;
    dur.remove_suffix(1);
  }
  Stage stage{ParseNumber(dur, "stage duration") * scale, ParseNumber(text.substr(colon + 1), "stage rate")};
  if (stage.seconds <= 0) throw std::invalid_argument("a stage lasts more than 0 s: '" + std::string(text) + "'");
  return stage;
}

std::vector<double> SendTimes(const std::vector<Stage>& stages, double start_rate) {
  std::vector<double> times;
  double expected = 0;
  double r = start_rate;
  for (const auto& s : stages) expected += (r + s.rate) / 2 * s.seconds, r = s.rate;
  times.reserve(static_cast<std::size_t>(expected) + 1);

  double begin = 0;     // the stage's start time
  double arrived = 0;   // integral of the rate up to `begin`
  double r0 = start_rate;
  std::uint64_t k = 0;  // the next request is due when the integral reaches k
  for (const auto& s : stages) {
    const double r1 = s.rate;
    const double slope = (r1 - r0) / s.seconds;
    const double in_stage = (r0 + r1) / 2 * s.seconds;
    // Requests whose k falls inside [arrived, arrived + in_stage) belong to this stage.
    while (static_cast<double>(k) < arrived + in_stage - 1e-9) {
      const double need = static_cast<double>(k) - arrived;  // arrivals still to come in this stage
      double t;
      if (std::abs(slope) < 1e-12) {
        t = need / r0;
      } else {
        // r0 t + slope t^2 / 2 = need
        t = (-r0 + std::sqrt(std::max(0.0, r0 * r0 + 2 * slope * need))) / slope;
      }
      times.push_back(begin + std::clamp(t, 0.0, s.seconds));
      ++k;
    }
    begin += s.seconds;
    arrived += in_stage;
    r0 = r1;
  }
  return times;
}

std::vector<std::int64_t> ParseIdList(std::string_view text) {
  std::vector<std::int64_t> ids;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto part = text.substr(0, comma);
    const auto dash = part.find('-');
    if (dash == std::string_view::npos) {
      ids.push_back(ParseId(part));
    } else {
      const auto lo = ParseId(part.substr(0, dash));
      const auto hi = ParseId(part.substr(dash + 1));
      if (hi < lo || hi - lo > 10'000'000) {
        throw std::invalid_argument("bad id range '" + std::string(part) + "'");
      }
      for (auto i = lo; i <= hi; ++i) ids.push_back(i);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) throw std::invalid_argument("an id list does not end with a comma");
  }
  if (ids.empty()) throw std::invalid_argument("an empty id list");
  return ids;
}

}  // namespace saga::loadgen
