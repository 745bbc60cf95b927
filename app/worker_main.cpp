// convox-worker: the voice agent worker. Configured like a LiveKit agent
// worker (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET), so it can
// serve any LiveKit-compatible server; flags override the environment.
#include "common/logging.hpp"
#include "worker/agent_worker.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>
#include <iostream>

namespace {

std::string env(const char* name, std::string fallback = {}) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

}  // namespace

int main(int argc, char** argv) {
  convox::worker::WorkerOptions options;
  options.url = env("LIVEKIT_URL", options.url);
  options.apiKey = env("LIVEKIT_API_KEY");
  options.apiSecret = env("LIVEKIT_API_SECRET");
  options.agentName = env("CONVOX_AGENT_WORKER_NAME", options.agentName);
  options.controlApiUrl = env("CONVOX_CONTROL_API_URL");
  std::string logLevel = env("CONVOX_LOG_LEVEL", "info");
  const std::string metricsPort = env("CONVOX_WORKER_METRICS_PORT");
  if (!metricsPort.empty()) {
    unsigned port = 0;
    const auto* end = metricsPort.data() + metricsPort.size();
    const auto [at, ec] = std::from_chars(metricsPort.data(), end, port);
    if (ec != std::errc() || at != end || port > 65535) {
      std::cerr << "convox-worker: CONVOX_WORKER_METRICS_PORT must be a port number (0-65535), got '" << metricsPort
                << "'\n";
      return 2;
    }
    options.metricsPort = static_cast<uint16_t>(port);
  }

  CLI::App app{"convox-worker: takes jobs from a LiveKit-compatible server and runs the voice agent in each room"};
  app.add_option("--url", options.url, "server URL (LIVEKIT_URL)");
  app.add_option("--api-key", options.apiKey, "API key (LIVEKIT_API_KEY)");
  app.add_option("--api-secret", options.apiSecret, "API secret (LIVEKIT_API_SECRET)");
  app.add_option("--agent-name", options.agentName, "agent name to register under (CONVOX_AGENT_WORKER_NAME)");
  app.add_option("--control-api-url", options.controlApiUrl,
                 "control API base URL (CONVOX_CONTROL_API_URL; default: the server's URL over http)");
  app.add_option("--media-threads", options.mediaThreads, "media threads (0: one per core)");
  app.add_option("--max-jobs", options.maxJobs, "calls at once before the worker reports itself full");
  app.add_option("--ice-address", options.iceAddress, "local address for ICE (default: every interface)");
  app.add_option("--metrics-port", options.metricsPort,
                 "serve Prometheus /metrics on this port (CONVOX_WORKER_METRICS_PORT; default 0: off)");
  app.add_option("--metrics-address", options.metricsAddress, "address /metrics listens on (default 127.0.0.1)");
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  convox::common::initLogging(logLevel, convox::common::LogFormat::Text);
  if (options.apiKey.empty() || options.apiSecret.empty()) {
    std::cerr << "convox-worker: an API key and secret are needed (--api-key/--api-secret or LIVEKIT_API_KEY/"
                 "LIVEKIT_API_SECRET)\n";
    return 2;
  }
  convox::worker::AgentWorker worker(std::move(options));
  return worker.run();
}
