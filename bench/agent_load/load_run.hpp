#pragma once

// convox-agent-load: N simulated callers against convox-server and its
// convox-worker, in steps of increasing N. Each step: the callers start
// their calls (POST /v1/calls), hear the agent's first message, then speak
// the prompt `turns` times at random offsets and measure voice-to-voice
// latency; the stored turns give the worker's per-stage latencies. The ramp
// stops at the first step that fails a call or whose voice-to-voice p95
// exceeds `limitFactor` times the first step's. See bench/agent_load/README.md.

#include <sys/types.h>

#include <ostream>
#include <string>
#include <vector>

namespace convox::bench {

struct AgentLoadOptions {
  std::string url = "http://127.0.0.1:7880";  // the control API; its ws:// form is the signal URL
  std::string apiKey = "convox-dev-key";
  std::string agentId;
  std::string prompt;           // 48 kHz mono WAV
  std::vector<int> callers{1};  // the ramp's steps
  int turns = 2;                // prompts per caller per step
  double spread = 2.0;          // seconds over which a round's callers start speaking
  int joinIntervalMs = 100;     // between two callers' calls
  double timeout = 60;          // seconds for each phase of a step
  double limitFactor = 2.0;     // voice-to-voice p95 over the first step's that ends the ramp
  bool keepGoing = false;       // run every step even past the limit
  pid_t workerPid = 0;          // for memory and CPU figures; 0: none
  std::string iceAddress = "127.0.0.1";
  std::string label;  // what the run measures, copied into the report
};

int runAgentLoad(const AgentLoadOptions& options, std::ostream& out, std::ostream& log);

}  // namespace convox::bench
