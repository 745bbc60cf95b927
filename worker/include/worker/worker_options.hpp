#pragma once

// What convox-worker is told at start (flags, environment: see app/worker_main.cpp).

#include <chrono>
#include <cstdint>
#include <string>

namespace convox::worker {

struct WorkerOptions {
  std::string url = "ws://127.0.0.1:7880";  // the LiveKit-compatible server (/rtc and /agent)
  std::string apiKey;
  std::string apiSecret;
  std::string agentName = "convox";  // one registration serves every Convox agent
  // The control API the worker posts turns and status to; empty: the
  // server's own (url with http/https).
  std::string controlApiUrl;
  unsigned mediaThreads = 0;  // 0: one per core
  unsigned maxJobs = 25;      // availability says no beyond this
  std::chrono::seconds drainTimeout{60};
  std::string iceAddress;
  // Prometheus /metrics (stage latencies, calls, compute queue); 0: not served.
  uint16_t metricsPort = 0;
  std::string metricsAddress = "127.0.0.1";  // the local address ICE gathers on; empty: every interface
};

}  // namespace convox::worker
