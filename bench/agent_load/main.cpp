// convox-agent-load: simulated callers against convox-server and
// convox-worker; see load_run.hpp and bench/agent_load/README.md.
#include "load_run.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  convox::bench::AgentLoadOptions o;
  CLI::App app{"convox-agent-load: voice-to-voice latency and calls per core of convox-worker"};
  app.add_option("--url", o.url, "the server's HTTP URL (control API; its ws:// form is joined)")
      ->capture_default_str();
  app.add_option("--api-key", o.apiKey, "control API key")->capture_default_str();
  app.add_option("--agent", o.agentId, "the agent's id")->required();
  app.add_option("--prompt", o.prompt, "what each caller says: a 48 kHz mono 16-bit WAV")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--callers", o.callers, "the ramp's steps, e.g. 1,2,4,8 (callers at once)")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  app.add_option("--turns", o.turns, "prompts each caller speaks per step")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--spread", o.spread, "seconds over which a round's callers start speaking")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--join-interval", o.joinIntervalMs, "ms between two callers' calls")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  app.add_option("--timeout", o.timeout, "seconds for each phase (first messages, each round's replies)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--limit-factor", o.limitFactor,
                 "the ramp stops when voice-to-voice p95 exceeds this times the first step's, or a call fails")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100.0));
  app.add_flag("--keep-going", o.keepGoing, "run every step, even past the limit");
  app.add_option("--worker-pid", o.workerPid, "convox-worker's pid, for memory per call and CPU");
  app.add_option("--ice-address", o.iceAddress, "local address for ICE")->capture_default_str();
  app.add_option("--label", o.label, "what this run measures (copied into the report)");
  CLI11_PARSE(app, argc, argv);
  return convox::bench::runAgentLoad(o, std::cout, std::cerr);
}
