#pragma once

#include <cstdint>
#include <vector>

namespace saga::loadgen {

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};

/// Nearest-rank percentiles of `values` (any order; sorted in place), in the values' unit.
/// All zero when there are none.
Percentiles Summarize(std::vector<double>& values);

}  // namespace saga::loadgen
