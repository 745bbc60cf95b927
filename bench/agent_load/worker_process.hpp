#pragma once

// What the load tool reads about the worker process from /proc (Linux):
// resident memory, CPU time, and the cores it may run on.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace convox::bench {

std::optional<int64_t> residentKiB(pid_t pid);    // VmRSS
std::optional<uint64_t> cpuMicros(pid_t pid);     // user + system, all threads
std::optional<unsigned> allowedCores(pid_t pid);  // its CPU affinity mask's size

}  // namespace convox::bench
