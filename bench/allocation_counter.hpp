#pragma once

// Counts heap allocations made through operator new in a benchmark binary
// that links allocation_counter.cpp (which replaces the global operator new),
// so a benchmark can report allocations per packet next to its time.

#include <cstdint>

namespace convox::bench {

uint64_t allocationCount();

}  // namespace convox::bench
