#include "worker_process.hpp"

#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace convox::bench {

std::optional<int64_t> residentKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return std::nullopt;
}

std::optional<uint64_t> cpuMicros(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // Fields after the command name (which may hold spaces, in parentheses):
  // state is field 3, utime 14, stime 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const auto ticks = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return (utime + stime) * 1'000'000 / ticks;
}

std::optional<unsigned> allowedCores(pid_t pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(pid, sizeof set, &set) != 0) return std::nullopt;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

}  // namespace convox::bench
