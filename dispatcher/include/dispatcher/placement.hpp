#pragma once

// Worker selection, as LiveKit's server does it: a random pick among the
// candidates, weighted by free capacity max(0, 1 - load). Pure, so the
// weights can be tested without a dispatcher.

#include <cstddef>
#include <optional>
#include <vector>

namespace convox::dispatcher {

// The weight of a worker reporting `load` (0 = idle, 1 = saturated).
double freeCapacityWeight(float load);

// Picks an index into `loads`, using `uniform01` (a draw in [0, 1)).
// Returns nullopt when every weight is 0 ("no worker with spare capacity").
std::optional<size_t> pickWeightedByFreeCapacity(const std::vector<float>& loads, double uniform01);

}  // namespace convox::dispatcher
