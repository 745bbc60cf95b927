// convox-sfu-load: simulated LiveKit participants on rtc/ against a running
// convox-server, or the same media through Janus's VideoRoom; see
// load_run.hpp and README (bench).
#include "load_run.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <string>

int main(int argc, char** argv) {
  convox::bench::LoadOptions o;
  CLI::App app{"convox-sfu-load: audio forwarding load on convox-server over loopback"};
  app.add_option("--server", o.server, "convox (LiveKit signalling) or janus (VideoRoom over its WebSocket API)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, convox::bench::LoadServer>{
          {"convox", convox::bench::LoadServer::Convox}, {"janus", convox::bench::LoadServer::Janus}}))
      ->capture_default_str();
  app.add_option("--url", o.url, "signal URL of the server")->capture_default_str();
  app.add_option("--key", o.apiKey, "API key the tokens are signed for")->capture_default_str();
  app.add_option("--secret", o.apiSecret, "API secret")->capture_default_str();
  app.add_option("--rooms,-R", o.rooms, "rooms")->capture_default_str()->check(CLI::Range(1, 10000));
  app.add_option("--publishers,-P", o.publishers, "publishers per room (one Opus track each, 50 packets/s)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--subscribers,-S", o.subscribers, "subscribers per room (each receives every publisher)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--seconds", o.seconds, "length of the measurement window")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 3600.0));
  app.add_option("--ramp", o.ramp, "seconds over which the rooms join")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--warmup", o.warmup, "seconds of flow before measuring")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--setup-timeout", o.setupTimeout, "seconds for every stream to flow (after the ramp)")
      ->capture_default_str();
  app.add_option("--ice-address", o.iceAddress, "local address for ICE")->capture_default_str();
  app.add_option("--server-pid", o.serverPid, "server process for CPU figures (default: the one on the URL's port)");
  CLI11_PARSE(app, argc, argv);
  return convox::bench::runLoad(o, std::cout, std::cerr);
}
