#pragma once

// Nearest-rank percentiles of a sample, for the report.

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace convox::bench {

struct Spread {
  size_t count = 0;
  double p50 = 0;
  double p95 = 0;
  double max = 0;
};

inline std::optional<Spread> spreadOf(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  auto rank = [&](double p) {
    const auto n = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<size_t>(n, 1, values.size()) - 1];
  };
  return Spread{values.size(), rank(0.50), rank(0.95), values.back()};
}

}  // namespace convox::bench
