#include "dispatcher/placement.hpp"

#include <algorithm>

namespace convox::dispatcher {

double freeCapacityWeight(float load) { return std::max(0.0, 1.0 - static_cast<double>(load)); }

std::optional<size_t> pickWeightedByFreeCapacity(const std::vector<float>& loads, double uniform01) {
  double total = 0;
  for (float load : loads) total += freeCapacityWeight(load);
  if (total <= 0) return std::nullopt;
  const double target = std::clamp(uniform01, 0.0, 1.0) * total;
  double cumulative = 0;
  std::optional<size_t> lastPositive;
  for (size_t i = 0; i < loads.size(); ++i) {
    const double w = freeCapacityWeight(loads[i]);
    if (w <= 0) continue;
    lastPositive = i;
    cumulative += w;
    if (target < cumulative) return i;
  }
  // uniform01 == 1 or rounding at the top end: the last worker with capacity.
  return lastPositive;
}

}  // namespace convox::dispatcher
