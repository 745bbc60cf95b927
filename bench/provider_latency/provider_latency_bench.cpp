// The provider clients' own latency over local wire-format servers (the
// tests' HttpTestServer, on loopback): from the server's first write of its
// reply to the first thing the voice agent can use (the final transcript,
// the first 48 kHz audio frame), and what connection reuse saves: the time
// from the request to that first usable result on a fresh HTTPS connection
// against the next request on the same, reused one. Figures only, no
// thresholds (the machine is shared); medians and p95 over the runs.
#include "voice/openai_speech_service.hpp"
#include "voice/openai_transcription_service.hpp"

#include "http_test_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace voice = convox::voice;
namespace vt = convox::voice::testing;
using Clock = std::chrono::steady_clock;
constexpr int kRuns = 40;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return;
  std::printf("%-58s p50 %8.3f ms  p95 %8.3f ms  (n=%zu)\n", what, v[v.size() / 2], v[v.size() * 95 / 100], v.size());
}

struct Tls {
  Tls() : server(boost::asio::ssl::context::tls_server) {
    const auto cert = vt::makeLoopbackCertificate();
    server.use_certificate_chain(boost::asio::buffer(cert.certPem));
    server.use_private_key(boost::asio::buffer(cert.keyPem), boost::asio::ssl::context::pem);
    caFile = "/tmp/convox_provider_latency_ca.pem";
    std::ofstream(caFile) << cert.certPem;
  }
  boost::asio::ssl::context server;
  std::string caFile;
};

// Runs `start(done)` on a fresh io_context until done() is called; returns when it was called.
Clock::time_point runOnce(boost::asio::io_context& io, const std::function<void(std::function<void()>)>& start) {
  Clock::time_point at{};
  start([&] {
    at = Clock::now();
    io.stop();
  });
  io.restart();
  io.run_for(std::chrono::seconds(10));
  return at;
}

void transcription(Tls& tls) {
  std::vector<double> added;
  std::vector<double> first;
  std::vector<double> second;
  std::vector<int16_t> utterance(16000, 100);  // 1 s
  for (int run = 0; run < kRuns; ++run) {
    boost::asio::io_context io;
    vt::HttpTestServer server(
        io,
        [](const vt::ReceivedRequest&) {
          return vt::ScriptedReply{{{vt::httpResponse(200, "OK", "application/json", R"({"text":"hello there"})")}}};
        },
        &tls.server);
    voice::OpenAiTranscriptionSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = "k";
    s.caFile = tls.caFile;
    voice::OpenAiTranscriptionService stt(io, s, nullptr);
    for (auto* into : {&first, &second}) {
      const auto began = Clock::now();
      const auto at = runOnce(io, [&](std::function<void()> done) {
        stt.push(utterance);
        stt.finish({nullptr, [done](voice::SttResult, const std::string&) { done(); }});
      });
      into->push_back(ms(at - began));
      added.push_back(ms(at - server.replyStarts().back()));
    }
  }
  report("stt: server's first write -> final transcript", added);
  report("stt: 1st request, new HTTPS connection -> final", first);
  report("stt: 2nd request, reused connection -> final", second);
}

void speech(Tls& tls) {
  std::vector<double> added;
  std::vector<double> first;
  std::vector<double> second;
  const std::string pcm(4800, '\x10');  // 100 ms at 24 kHz
  for (int run = 0; run < kRuns; ++run) {
    boost::asio::io_context io;
    vt::HttpTestServer server(
        io,
        [&pcm](const vt::ReceivedRequest&) {
          return vt::ScriptedReply{{{vt::chunkedHead("audio/pcm") + vt::httpChunk(pcm) + std::string(vt::kLastChunk)}}};
        },
        &tls.server);
    voice::OpenAiSpeechSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = "k";
    s.caFile = tls.caFile;
    voice::OpenAiSpeechService tts(io, s, nullptr);
    for (auto* into : {&first, &second}) {
      const auto began = Clock::now();
      Clock::time_point firstAudio{};
      runOnce(io, [&](std::function<void()> done) {
        voice::TtsCallbacks cb;
        cb.onAudio = [&firstAudio](std::span<const int16_t>) {
          if (firstAudio == Clock::time_point{}) firstAudio = Clock::now();
        };
        cb.onDone = [done](voice::TtsStats, const std::string&) { done(); };
        tts.synthesize("Hello there.", 1, cb);
      });
      into->push_back(ms(firstAudio - began));
      added.push_back(ms(firstAudio - server.replyStarts().back()));
    }
  }
  report("tts: server's first write -> first 48 kHz frame", added);
  report("tts: 1st request, new HTTPS connection -> first frame", first);
  report("tts: 2nd request, reused connection -> first frame", second);
}

}  // namespace

int main() {
  Tls tls;
  transcription(tls);
  speech(tls);
  return 0;
}
