#include "load_run.hpp"

#include "janus_peers.hpp"
#include "livekit_publisher.hpp"
#include "livekit_subscriber.hpp"
#include "process_cpu.hpp"
#include "rtc/dtls_certificate.hpp"
#include "rtc/opus_codec.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <ostream>
#include <random>
#include <sstream>

namespace convox::bench {

namespace {

using namespace std::chrono_literals;

constexpr double kTonePi = 3.14159265358979323846;

// One second of a 440 Hz tone, Opus-encoded: a whole number of cycles, so
// it loops without a click.
std::vector<std::vector<uint8_t>> encodeTone(std::string& error) {
  auto encoder = rtc::OpusFrameEncoder::create({}, error);
  if (!encoder) return {};
  std::vector<std::vector<uint8_t>> frames;
  std::vector<int16_t> pcm(rtc::kOpusFrameSamples);
  for (int frame = 0; frame < 50; ++frame) {
    for (int i = 0; i < rtc::kOpusFrameSamples; ++i) {
      const double t = static_cast<double>(frame * rtc::kOpusFrameSamples + i) / rtc::kOpusSampleRate;
      pcm[static_cast<size_t>(i)] = static_cast<int16_t>(8000 * std::sin(2 * kTonePi * 440 * t));
    }
    std::vector<uint8_t> packet(rtc::kOpusMaxPacketBytes);
    const int size = encoder->encode(pcm, packet);
    if (size <= 2) {
      error = "the Opus encoder produced no frame";
      return {};
    }
    packet.resize(static_cast<size_t>(size));
    frames.push_back(std::move(packet));
  }
  return frames;
}

uint64_t ownCpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& t) { return static_cast<uint64_t>(t.tv_sec) * 1'000'000 + t.tv_usec; };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

std::string randomTag() {
  std::mt19937 generator{std::random_device{}()};
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(generator()));
  return text;
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

struct Window {
  double seconds = 0;
  uint64_t sent = 0;
  int64_t expected = 0;
  int64_t received = 0;
  std::optional<uint64_t> serverCpuMicros;
  std::optional<uint64_t> serverWaitMicros;  // runnable, but no CPU free
  uint64_t clientCpuMicros = 0;
  std::optional<uint64_t> clientWaitMicros;
};

}  // namespace

int runLoad(const LoadOptions& options, std::ostream& out, std::ostream& log) {
  std::string error;
  auto endpoint = client::parseWebSocketUrl(options.url);
  if (!endpoint) {
    error = endpoint.error();
    log << "sfu-load: " << error << "\n";
    return 2;
  }
  // 0 when the server's CPU time cannot be read.
  pid_t serverPid = options.serverPid;
  if (serverPid <= 0) {
    serverPid = findListeningProcess(static_cast<uint16_t>(std::stoul(endpoint->port))).value_or(0);
    if (serverPid <= 0) serverPid = findProcessByName("convox-server").value_or(0);
  }
  if (serverPid <= 0 || !processCpuMicros(serverPid)) {
    log << "sfu-load: cannot read the server's CPU time (pass --server-pid); CPU figures are left out\n";
    serverPid = 0;
  }

  rtc::EventLoop loop;
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  LoadContext context;
  context.loop = &loop;
  context.io = &io;
  context.url = options.url;
  context.apiKey = options.apiKey;
  context.apiSecret = options.apiSecret;
  context.iceAddress = options.iceAddress;
  context.certificate = rtc::DtlsCertificate::generate(error);
  context.opusFrames = encodeTone(error);
  if (!context.certificate || context.opusFrames.empty()) {
    log << "sfu-load: " << error << "\n";
    return 2;
  }
  const auto publishersTotal = static_cast<size_t>(options.rooms) * static_cast<size_t>(options.publishers);
  const auto streamsReceived = publishersTotal * static_cast<size_t>(options.subscribers);
  context.latency.reserve(
      std::min<size_t>(streamsReceived * 50 * static_cast<size_t>(options.seconds + 1), 50'000'000));

  // Participants of room r join at r * ramp / rooms.
  const std::string tag = randomTag();
  const bool janus = options.server == LoadServer::Janus;
  // Janus rooms are numbered: a random base keeps runs apart on one server.
  const uint64_t janusRoomBase = 1'000'000 + (std::stoull(tag, nullptr, 16) % 1'000'000) * 1000;
  std::vector<std::unique_ptr<LoadPeer>> publishers;
  std::vector<std::unique_ptr<LoadPeer>> subscribers;
  std::vector<std::pair<int64_t, LoadPeer*>> joins;  // (due, peer)
  std::vector<LoadPeer*> everyone;
  const int64_t start = steadyNanos();
  for (int r = 0; r < options.rooms; ++r) {
    const std::string room = "load-" + tag + "-" + std::to_string(r);
    const uint64_t janusRoom = janusRoomBase + static_cast<uint64_t>(r);
    const auto due = start + static_cast<int64_t>(options.ramp * 1e9 * r / options.rooms);
    for (int p = 0; p < options.publishers; ++p) {
      // Spread the publishers' 20 ms grids evenly, as independent clients would be.
      const auto index = static_cast<int64_t>(r * options.publishers + p);
      const auto phase = index * 20'000'000 / static_cast<int64_t>(publishersTotal);
      const std::string identity = "pub-" + std::to_string(p);
      if (janus) {
        publishers.push_back(std::make_unique<JanusPublisher>(context, janusRoom, options.publishers, identity, phase));
      } else {
        publishers.push_back(std::make_unique<LivekitPublisher>(context, room, identity, phase));
      }
      joins.emplace_back(due, publishers.back().get());
    }
    for (int s = 0; s < options.subscribers; ++s) {
      const std::string identity = "sub-" + std::to_string(s);
      const auto streams = static_cast<size_t>(options.publishers);
      if (janus) {
        subscribers.push_back(std::make_unique<JanusSubscriber>(context, janusRoom, identity, streams));
      } else {
        subscribers.push_back(std::make_unique<LivekitSubscriber>(context, room, identity, streams));
      }
      joins.emplace_back(due, subscribers.back().get());
    }
  }
  for (auto& j : joins) everyone.push_back(j.second);

  // The one periodic task: signalling I/O, joins that are due, and each
  // participant's pings, RTCP and media.
  size_t nextJoin = 0;
  bool ticking = true;
  std::function<void()> tick = [&] {
    io.poll();
    const int64_t now = steadyNanos();
    while (nextJoin < joins.size() && joins[nextJoin].first <= now) joins[nextJoin++].second->join();
    for (auto* p : everyone) p->tick(now);
    if (ticking) loop.addTimer(2ms, tick);
  };
  loop.addTimer(0ms, tick);

  auto firstFailure = [&]() -> std::string {
    for (auto* p : everyone) {
      if (!p->failure().empty()) return p->identity() + ": " + p->failure();
    }
    return {};
  };
  auto countReady = [](const auto& list) {
    return static_cast<size_t>(std::count_if(list.begin(), list.end(), [](const auto& p) { return p->ready(); }));
  };
  auto shutdown = [&] {
    for (auto* p : everyone) p->leave();
    loop.runFor(300ms);  // the leaves and close frames go out
    ticking = false;
    loop.runFor(10ms);
  };

  log << "sfu-load: " << options.rooms << " rooms x (" << options.publishers << " publishers + " << options.subscribers
      << " subscribers) -> " << (janus ? "Janus VideoRoom at " : "") << options.url << "\n";
  const bool flowing = loop.runUntil(
      [&] {
        return !firstFailure().empty() ||
               (countReady(publishers) == publishers.size() && countReady(subscribers) == subscribers.size());
      },
      millis(options.ramp + options.setupTimeout));
  if (!flowing || !firstFailure().empty()) {
    log << "sfu-load: setup failed: " << countReady(publishers) << "/" << publishers.size() << " publishers and "
        << countReady(subscribers) << "/" << subscribers.size() << " subscribers ready"
        << (firstFailure().empty() ? " before the timeout" : "; " + firstFailure()) << "\n";
    shutdown();
    return 1;
  }
  log << "sfu-load: every stream flows after " << std::fixed << std::setprecision(1)
      << static_cast<double>(steadyNanos() - start) / 1e9 << " s; measuring " << options.seconds << " s\n";
  loop.runFor(millis(options.warmup));

  // The measurement window.
  uint64_t sentBefore = 0;
  for (auto& p : publishers) sentBefore += p->packetsSent();
  for (auto& s : subscribers) s->openWindow();
  context.latency.setRecording(true);
  const auto serverBefore = serverPid > 0 ? processCpuMicros(serverPid) : std::nullopt;
  const auto waitBefore = serverPid > 0 ? processRunQueueWaitMicros(serverPid) : std::nullopt;
  const auto clientBefore = ownCpuMicros();
  const auto clientWaitBefore = processRunQueueWaitMicros(getpid());
  const int64_t windowStart = steadyNanos();
  loop.runUntil([&] { return !firstFailure().empty(); }, millis(options.seconds));
  const int64_t windowEnd = steadyNanos();
  const auto serverAfter = serverPid > 0 ? processCpuMicros(serverPid) : std::nullopt;
  const auto waitAfter = serverPid > 0 ? processRunQueueWaitMicros(serverPid) : std::nullopt;
  const auto clientAfter = ownCpuMicros();
  const auto clientWaitAfter = processRunQueueWaitMicros(getpid());
  context.latency.setRecording(false);

  Window w;
  w.seconds = static_cast<double>(windowEnd - windowStart) / 1e9;
  for (auto& p : publishers) w.sent += p->packetsSent();
  w.sent -= sentBefore;
  for (auto& s : subscribers) {
    w.expected += s->expectedInWindow();
    w.received += s->receivedInWindow();
  }
  if (serverBefore && serverAfter) w.serverCpuMicros = *serverAfter - *serverBefore;
  if (waitBefore && waitAfter) w.serverWaitMicros = *waitAfter - *waitBefore;
  w.clientCpuMicros = clientAfter - clientBefore;
  if (clientWaitBefore && clientWaitAfter) w.clientWaitMicros = *clientWaitAfter - *clientWaitBefore;
  const std::string failure = firstFailure();
  shutdown();

  auto& latency = context.latency;
  const double lost = static_cast<double>(std::max<int64_t>(0, w.expected - w.received));
  const double lossPercent = w.expected > 0 ? 100.0 * lost / static_cast<double>(w.expected) : 0;
  const double forwardedPps = static_cast<double>(w.received) / w.seconds;
  const double windowMicros = w.seconds * 1e6;
  auto us = [](int64_t nanos) { return static_cast<double>(nanos) / 1000.0; };
  const double p50 = us(latency.quantile(0.50));
  const double p90 = us(latency.quantile(0.90));
  const double p99 = us(latency.quantile(0.99));
  const double max = us(latency.quantile(1.0));

  std::ostringstream json;
  json << std::fixed << std::setprecision(3);
  json << R"({"server":")" << (janus ? "janus" : "convox") << R"(","rooms":)" << options.rooms
       << R"(,"publishers_per_room":)" << options.publishers << R"(,"subscribers_per_room":)" << options.subscribers
       << R"(,"seconds":)" << w.seconds << R"(,"streams_sent":)" << publishersTotal << R"(,"streams_received":)"
       << streamsReceived << R"(,"sent_pps":)" << static_cast<double>(w.sent) / w.seconds << R"(,"forwarded_pps":)"
       << forwardedPps << R"(,"expected":)" << w.expected << R"(,"received":)" << w.received << R"(,"loss_percent":)"
       << lossPercent;
  if (w.serverCpuMicros && w.received > 0) {
    json << R"(,"server_cpu_percent":)" << 100.0 * static_cast<double>(*w.serverCpuMicros) / windowMicros
         << R"(,"server_cpu_us_per_packet":)"
         << static_cast<double>(*w.serverCpuMicros) / static_cast<double>(w.received);
  } else {
    json << R"(,"server_cpu_percent":null,"server_cpu_us_per_packet":null)";
  }
  if (w.serverWaitMicros) {
    json << R"(,"server_runqueue_wait_percent":)" << 100.0 * static_cast<double>(*w.serverWaitMicros) / windowMicros;
  }
  json << R"(,"client_cpu_percent":)" << 100.0 * static_cast<double>(w.clientCpuMicros) / windowMicros
       << R"(,"client_runqueue_wait_percent":)"
       << (w.clientWaitMicros ? 100.0 * static_cast<double>(*w.clientWaitMicros) / windowMicros : 0.0)
       << R"(,"latency_samples":)" << latency.count() << R"(,"latency_us":{"p50":)" << p50 << R"(,"p90":)" << p90
       << R"(,"p99":)" << p99 << R"(,"max":)" << max << "}"
       << R"(,"failures":)" << (failure.empty() ? 0 : 1) << "}";

  out << std::fixed << std::setprecision(1);
  out << "rooms " << options.rooms << " x (" << options.publishers << " pub + " << options.subscribers
      << " sub), window " << w.seconds << " s\n";
  out << "  sent        " << static_cast<double>(w.sent) / w.seconds << " packets/s (" << publishersTotal
      << " Opus streams)\n";
  out << "  forwarded   " << forwardedPps << " packets/s (" << streamsReceived << " down-streams)\n";
  out << std::setprecision(3) << "  loss        " << lossPercent << " % (" << static_cast<int64_t>(lost) << " of "
      << w.expected << ")\n";
  out << std::setprecision(0) << "  latency     p50 " << p50 << " us, p90 " << p90 << " us, p99 " << p99 << " us, max "
      << max << " us (" << latency.count() << " samples)\n";
  if (w.serverCpuMicros && w.received > 0) {
    out << std::setprecision(2) << "  server CPU  " << 100.0 * static_cast<double>(*w.serverCpuMicros) / windowMicros
        << " % of a core, " << static_cast<double>(*w.serverCpuMicros) / static_cast<double>(w.received)
        << " us per forwarded packet\n";
  }
  out << std::setprecision(2) << "  client CPU  " << 100.0 * static_cast<double>(w.clientCpuMicros) / windowMicros
      << " % of a core";
  if (w.clientWaitMicros) {
    out << ", " << 100.0 * static_cast<double>(*w.clientWaitMicros) / windowMicros << " % waiting for a CPU";
  }
  out << "\n";
  out << json.str() << std::endl;
  if (!failure.empty()) {
    log << "sfu-load: failure during the run: " << failure << "\n";
    return 1;
  }
  if (w.received == 0) {
    log << "sfu-load: nothing was forwarded in the window\n";
    return 1;
  }
  return 0;
}

}  // namespace convox::bench
