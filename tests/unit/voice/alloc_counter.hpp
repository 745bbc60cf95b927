#pragma once

// Counts C++ heap allocations in the voice test binary (alloc_counter.cpp
// replaces the global operator new), so hot-path tests can assert that a
// stage allocates nothing per 20 ms frame. C allocations inside the Debian
// libraries are not seen.

#include <atomic>
#include <cstdint>

namespace convox::voice::test {

extern std::atomic<uint64_t> allocations;

class AllocationScope {
 public:
  AllocationScope() : start_(allocations.load()) {}
  uint64_t count() const { return allocations.load() - start_; }

 private:
  uint64_t start_;
};

}  // namespace convox::voice::test
