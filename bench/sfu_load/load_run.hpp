#pragma once

// One load run: R rooms of P publishers and S subscribers against a running
// convox-server (LiveKit signalling) or Janus (VideoRoom), a measurement window once every stream flows, and the
// figures (forwarded packets/s, server CPU per forwarded packet, loss,
// forwarding latency) as a human summary plus one JSON line.

#include <sys/types.h>

#include <iosfwd>
#include <string>

namespace convox::bench {

enum class LoadServer { Convox, Janus };

struct LoadOptions {
  LoadServer server = LoadServer::Convox;
  std::string url = "ws://127.0.0.1:7880";
  std::string apiKey = "devkey";
  std::string apiSecret = "secret";
  int rooms = 1;
  int publishers = 1;   // per room
  int subscribers = 1;  // per room
  double seconds = 10;  // measurement window
  double ramp = 0;      // rooms join spread over this many seconds
  double warmup = 1;    // after every stream flows, before measuring
  double setupTimeout = 30;
  std::string iceAddress = "127.0.0.1";
  pid_t serverPid = 0;  // 0: the process listening on the URL's port
};

// Returns the process exit code: 0 when the run completed without failures.
int runLoad(const LoadOptions& options, std::ostream& out, std::ostream& log);

}  // namespace convox::bench
