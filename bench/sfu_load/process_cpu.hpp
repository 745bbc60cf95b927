#pragma once

// CPU time of another process, from /proc, and finding the server's pid
// from the TCP port it listens on (several convox-server processes may run
// on a shared machine, so a name alone is ambiguous).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace convox::bench {

// utime + stime of every thread of `pid`, in microseconds (clock-tick
// resolution); nullopt if the process is gone or unreadable.
std::optional<uint64_t> processCpuMicros(pid_t pid);

// Time the threads of `pid` spent runnable but waiting for a CPU
// (/proc/<pid>/task/*/schedstat), in microseconds. On a shared machine this
// says whether latency came from the SFU or from the scheduler.
std::optional<uint64_t> processRunQueueWaitMicros(pid_t pid);

// The process holding a listening TCP socket on `port` (IPv4 or IPv6), or
// nullopt if none of ours does.
std::optional<pid_t> findListeningProcess(uint16_t port);

// The only process whose command name is `name`; nullopt if none or several.
std::optional<pid_t> findProcessByName(const std::string& name);

}  // namespace convox::bench
