#include "load_run.hpp"

#include "agent_caller.hpp"
#include "percentiles.hpp"
#include "rtc/dtls_certificate.hpp"
#include "worker_process.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <iomanip>
#include <random>

namespace convox::bench {

namespace {

using namespace std::chrono_literals;

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

boost::json::value spreadJson(const std::vector<double>& values) {
  const auto s = spreadOf(values);
  if (!s) return nullptr;
  return boost::json::object{{"n", s->count}, {"p50", s->p50}, {"p95", s->p95}, {"max", s->max}};
}

// Each sample set of one step.
struct Samples {
  std::vector<double> voiceToVoice;  // caller: speech end -> first agent packet
  std::vector<double> audible;       // caller: speech end -> first audible agent packet
  std::vector<double> workerVoiceToVoice, endpointing, stt, llm, tts, transport;
  // Voice to voice minus the endpointing wait and the STT, LLM and TTS stages.
  std::vector<double> overhead;
  // The caller's voice to voice minus the worker's: uplink, jitter buffer, downlink.
  std::vector<double> outsideWorker;
};

Samples collect(const std::vector<std::unique_ptr<AgentCaller>>& callers) {
  Samples s;
  for (const auto& caller : callers) {
    for (const auto& turn : caller->turns()) {
      if (turn.firstPacketNanos < 0) continue;
      const double v2v = static_cast<double>(turn.firstPacketNanos - turn.speechEndNanos) / 1e6;
      s.voiceToVoice.push_back(v2v);
      if (turn.firstAudibleNanos >= 0) {
        s.audible.push_back(static_cast<double>(turn.firstAudibleNanos - turn.speechEndNanos) / 1e6);
      }
      if (!turn.stored) continue;
      const auto& st = *turn.stored;
      s.workerVoiceToVoice.push_back(st.voiceToVoiceMs);
      s.endpointing.push_back(st.endpointingMs);
      s.stt.push_back(st.sttMs);
      s.llm.push_back(st.llmMs);
      s.tts.push_back(st.ttsMs);
      s.transport.push_back(st.transportMs);
      s.overhead.push_back(v2v - st.endpointingMs - st.sttMs - st.llmMs - st.ttsMs);
      s.outsideWorker.push_back(v2v - st.voiceToVoiceMs);
    }
  }
  return s;
}

}  // namespace

int runAgentLoad(const AgentLoadOptions& options, std::ostream& out, std::ostream& log) {
  std::string error;
  const auto prompt = loadPrompt(options.prompt, error);
  if (!prompt) {
    log << "agent-load: " << error << "\n";
    return 2;
  }
  rtc::EventLoop loop;
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  CallerContext context;
  context.loop = &loop;
  context.io = &io;
  context.prompt = &*prompt;
  context.httpUrl = options.url;
  context.apiKey = options.apiKey;
  context.agentId = options.agentId;
  context.iceAddress = options.iceAddress;
  context.certificate = rtc::DtlsCertificate::generate(error);
  if (!context.certificate) {
    log << "agent-load: " << error << "\n";
    return 2;
  }
  std::vector<std::unique_ptr<AgentCaller>> callers;
  // The one periodic task: HTTP and signalling I/O, each caller's microphone.
  bool ticking = true;
  std::function<void()> tick = [&] {
    io.poll();
    const int64_t now = steadyNanos();
    for (auto& c : callers) c->tick(now);
    if (ticking) loop.addTimer(2ms, tick);
  };
  loop.addTimer(0ms, tick);

  // -1 where there is no worker pid or /proc cannot tell.
  const pid_t pid = options.workerPid;
  const int64_t rss0 = pid ? residentKiB(pid).value_or(-1) : -1;
  const int64_t cores = pid ? allowedCores(pid).value_or(0) : 0;
  std::mt19937 random{std::random_device{}()};
  double baselineP95 = 0;
  int withinLimit = 0;
  bool stopped = false;
  const std::string tag = std::to_string(steadyNanos() % 1'000'000);
  log << "agent-load: " << options.label << " agent " << options.agentId << ", prompt " << options.prompt << " ("
      << prompt->speechFrames * 20 << " ms of speech), steps";
  for (int n : options.callers) log << " " << n;
  log << "\n";

  for (const int n : options.callers) {
    if (stopped) break;
    auto failures = [&] {
      return static_cast<int>(std::count_if(callers.begin(), callers.end(), [](auto& c) { return c->failed(); }));
    };
    // Calls start one join interval apart, as callers would not all dial in the same millisecond.
    for (int i = 0; i < n; ++i) {
      callers.push_back(
          std::make_unique<AgentCaller>(context, "load-" + tag + "-" + std::to_string(n) + "-" + std::to_string(i)));
      callers.back()->start();
      loop.runFor(std::chrono::milliseconds(options.joinIntervalMs));
    }
    const int64_t stepStart = steadyNanos();
    loop.runUntil(
        [&] {
          return std::all_of(callers.begin(), callers.end(),
                             [](auto& c) { return c->failed() || c->heardFirstMessage(); });
        },
        millis(options.timeout));
    for (auto& c : callers) {
      if (!c->heardFirstMessage()) c->fail("no first message within the timeout");
    }
    const auto joinedSeconds = static_cast<double>(steadyNanos() - stepStart) / 1e9;
    // Memory with every call up, before the turns' audio buffers come and go.
    const int64_t rssN = pid ? residentKiB(pid).value_or(-1) : -1;
    const int64_t cpuBefore = pid ? static_cast<int64_t>(cpuMicros(pid).value_or(0)) : -1;
    const int64_t turnsStart = steadyNanos();
    std::uniform_real_distribution<double> offset(0, options.spread);
    for (int round = 0; round < options.turns; ++round) {
      const int64_t base = steadyNanos() + 300'000'000;
      for (auto& c : callers) {
        if (!c->failed()) c->speakAt(base + static_cast<int64_t>(offset(random) * 1e9));
      }
      loop.runUntil([&] { return std::all_of(callers.begin(), callers.end(), [](auto& c) { return c->turnDone(); }); },
                    millis(options.spread + options.timeout));
      for (auto& c : callers) {
        if (!c->turnDone()) c->fail("no reply to turn " + std::to_string(round + 1) + " within the timeout");
      }
      loop.runFor(500ms);  // a pause between the reply and the next prompt
    }
    const int64_t cpuAfter = pid ? static_cast<int64_t>(cpuMicros(pid).value_or(0)) : -1;
    const double turnsSeconds = static_cast<double>(steadyNanos() - turnsStart) / 1e9;
    for (auto& c : callers) c->leave();
    loop.runFor(500ms);  // leaves go out; the worker posts the last turns
    size_t fetched = 0;
    for (auto& c : callers) c->fetchStoredTurns([&fetched] { ++fetched; });
    loop.runUntil([&] { return fetched == callers.size(); }, 30s);

    const auto samples = collect(callers);
    const int failed = failures();
    std::string firstFailure;
    for (auto& c : callers) {
      if (c->failed() && firstFailure.empty()) firstFailure = c->identity() + ": " + c->failure();
    }
    const auto v2v = spreadOf(samples.voiceToVoice);
    if (baselineP95 == 0 && v2v) baselineP95 = v2v->p95;
    const bool overLimit = !v2v || (baselineP95 > 0 && v2v->p95 > options.limitFactor * baselineP95);
    const bool passed = failed == 0 && !overLimit;
    if (passed) withinLimit = std::max(withinLimit, n);
    if (!passed && !options.keepGoing) stopped = true;

    boost::json::object report{
        {"label", options.label},
        {"callers", n},
        {"failures", failed},
        {"first_failure", firstFailure},
        {"within_limit", passed},
        {"first_messages_s", joinedSeconds},
        {"voice_to_voice_ms", spreadJson(samples.voiceToVoice)},
        {"audible_ms", spreadJson(samples.audible)},
        {"pipeline_overhead_ms", spreadJson(samples.overhead)},
        {"worker_voice_to_voice_ms", spreadJson(samples.workerVoiceToVoice)},
        {"outside_worker_ms", spreadJson(samples.outsideWorker)},
        {"stages_ms", boost::json::object{{"endpointing", spreadJson(samples.endpointing)},
                                          {"stt", spreadJson(samples.stt)},
                                          {"llm_first_token", spreadJson(samples.llm)},
                                          {"tts_first_audio", spreadJson(samples.tts)},
                                          {"transport", spreadJson(samples.transport)}}},
    };
    if (rss0 > 0 && rssN > 0) {
      report["worker_rss_idle_kib"] = rss0;
      report["worker_rss_kib"] = rssN;
      report["worker_rss_per_call_kib"] = static_cast<double>(rssN - rss0) / n;
    }
    if (cpuBefore > 0 && cpuAfter > 0 && turnsSeconds > 0) {
      report["worker_cpu_percent"] = static_cast<double>(cpuAfter - cpuBefore) / 1e4 / turnsSeconds;
    }
    out << boost::json::serialize(report) << std::endl;
    log << std::fixed << std::setprecision(0) << "agent-load: " << n << " caller(s): " << failed << " failed";
    if (v2v) log << ", voice-to-voice p50 " << v2v->p50 << " ms p95 " << v2v->p95 << " ms";
    if (const auto o = spreadOf(samples.overhead)) log << ", overhead p50 " << o->p50 << " ms p95 " << o->p95 << " ms";
    if (report.contains("worker_rss_per_call_kib")) {
      log << ", " << report["worker_rss_per_call_kib"].as_double() / 1024 << " MiB/call";
    }
    log << (passed ? "" : "  <- past the limit") << (firstFailure.empty() ? "" : " (" + firstFailure + ")") << "\n";

    callers.clear();
    loop.runFor(2s);  // the worker frees the calls before the next step
  }
  ticking = false;
  loop.runFor(10ms);
  boost::json::object summary{{"summary", true},
                              {"label", options.label},
                              {"baseline_voice_to_voice_p95_ms", baselineP95},
                              {"limit_ms", baselineP95 * options.limitFactor},
                              {"max_callers_within_limit", withinLimit}};
  if (cores > 0) {
    summary["worker_cores"] = cores;
    summary["calls_per_core"] = static_cast<double>(withinLimit) / static_cast<double>(cores);
  }
  out << boost::json::serialize(summary) << std::endl;
  return withinLimit > 0 ? 0 : 1;
}

}  // namespace convox::bench
