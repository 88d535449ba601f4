#include "saga/loadgen/stats.hpp"

#include <algorithm>
#include <cmath>

namespace saga::loadgen {

Percentiles Summarize(std::vector<double>& values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const auto rank = [&](double p) {
    const auto n = static_cast<double>(values.size());
    const auto i = static_cast<std::size_t>(std::max(1.0, std::ceil(p / 100 * n))) - 1;
    return values[std::min(i, values.size() - 1)];
  };
  return {rank(50), rank(95), rank(99), values.back()};
}

}  // namespace saga::loadgen
