#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace saga::loadgen {

/// One stage of an open-loop arrival schedule: over `seconds`, the rate moves linearly from the
/// previous stage's rate (the first stage: the schedule's start rate) to `rate` requests/s.
/// A stage whose rate equals the previous one holds it (k6's ramping-arrival-rate stages).
struct Stage {
  double seconds = 0;
  double rate = 0;
};

/// "30s:500", "2m:1000", "500ms:10" or "45:200" (seconds). Throws std::invalid_argument.
Stage ParseStage(std::string_view text);

/// Send times in seconds from the start, one per request, for the stages in order: request k
/// (from 0) is due when the integral of the rate reaches k. The times never depend on responses,
/// so a slow server cannot slow the arrivals (open loop).
std::vector<double> SendTimes(const std::vector<Stage>& stages, double start_rate = 0);

/// Ids from "1-100", "3,5,9-12" or "7". Throws std::invalid_argument on anything else.
std::vector<std::int64_t> ParseIdList(std::string_view text);

}  // namespace saga::loadgen
