#include "process_cpu.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace convox::bench {

namespace fs = std::filesystem;

std::optional<uint64_t> processCpuMicros(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  // f[0] is field 3 (state); utime and stime are fields 14 and 15.
  if (f.size() < 13) return std::nullopt;
  const uint64_t ticks = std::strtoull(f[11].c_str(), nullptr, 10) + std::strtoull(f[12].c_str(), nullptr, 10);
  const auto perSecond = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return ticks * 1'000'000 / perSecond;
}

std::optional<uint64_t> processRunQueueWaitMicros(pid_t pid) {
  std::error_code ec;
  uint64_t nanos = 0;
  bool any = false;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    uint64_t running = 0, waiting = 0;
    if (in >> running >> waiting) {
      nanos += waiting;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  return nanos / 1000;
}

namespace {

// Inodes of listening sockets on `port` in /proc/net/tcp or tcp6.
std::set<std::string> listeningInodes(uint16_t port) {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      row >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      const auto colon = local.rfind(':');
      if (colon == std::string::npos || state != "0A") continue;  // 0A: LISTEN
      if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) inodes.insert(inode);
    }
  }
  return inodes;
}

bool isPid(const std::string& name) {
  return !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::optional<pid_t> findListeningProcess(uint16_t port) {
  const auto inodes = listeningInodes(port);
  if (inodes.empty()) return std::nullopt;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const auto name = proc.path().filename().string();
    if (!isPid(name)) continue;
    std::error_code fdError;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fdError)) {
      std::error_code linkError;
      const auto target = fs::read_symlink(fd.path(), linkError).string();
      if (linkError || target.rfind("socket:[", 0) != 0) continue;
      if (inodes.count(target.substr(8, target.size() - 9))) return static_cast<pid_t>(std::stol(name));
    }
  }
  return std::nullopt;
}

std::optional<pid_t> findProcessByName(const std::string& wanted) {
  std::optional<pid_t> found;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    const auto name = proc.path().filename().string();
    if (!isPid(name)) continue;
    std::ifstream in(proc.path() / "comm");
    std::string comm;
    if (!std::getline(in, comm) || comm != wanted) continue;
    if (found) return std::nullopt;  // ambiguous
    found = static_cast<pid_t>(std::stol(name));
  }
  return found;
}

}  // namespace convox::bench
