// OpenAiSpeechService against a local server speaking the /v1/audio/speech
// wire formats of OpenAI, Kokoro-FastAPI and openedai-speech (§3).
#include "voice/openai_speech_service.hpp"

#include "http_test_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <cstdlib>
#include <optional>

namespace convox::voice {
namespace {

using std::chrono::milliseconds;
using testing::AfterReply;
using testing::chunkedHead;
using testing::httpChunk;
using testing::httpResponse;
using testing::HttpTestServer;
using testing::kLastChunk;
using testing::ReceivedRequest;
using testing::ScriptedReply;

constexpr const char* kKey = "sk-tts-secret-789";
constexpr int16_t kLevel = 0x1234;  // its bytes differ: a lost byte would show as 0x3412

// `samples` samples of a constant level as s16le bytes.
std::string pcmBytes(size_t samples) {
  std::string out;
  for (size_t i = 0; i < samples; ++i) {
    out.push_back(static_cast<char>(kLevel & 0xff));
    out.push_back(static_cast<char>((kLevel >> 8) & 0xff));
  }
  return out;
}

struct Outcome {
  std::vector<int16_t> audio;
  int audioCalls = 0;
  std::optional<std::string> error;
  TtsStats stats;
  int dones = 0;
};

class OpenAiSpeechTest : public ::testing::Test {
 protected:
  OpenAiSpeechSettings settingsFor(const HttpTestServer& server) {
    OpenAiSpeechSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.connectTimeout = milliseconds(3000);
    s.idleTimeout = milliseconds(3000);
    return s;
  }

  std::unique_ptr<OpenAiSpeechService> service(const OpenAiSpeechSettings& s) {
    auto tts = std::make_unique<OpenAiSpeechService>(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
    EXPECT_EQ(tts->error(), "");
    return tts;
  }

  TtsCallbacks callbacksInto(Outcome& out) {
    TtsCallbacks cb;
    cb.onAudio = [&out](std::span<const int16_t> pcm) {
      out.audio.insert(out.audio.end(), pcm.begin(), pcm.end());
      ++out.audioCalls;
    };
    cb.onDone = [&out, this](TtsStats stats, const std::string& e) {
      out.stats = std::move(stats);
      out.error = e;
      ++out.dones;
      io_.stop();
    };
    return cb;
  }

  Outcome speak(OpenAiSpeechService& tts, const std::string& text) {
    Outcome out;
    tts.synthesize(text, 1, callbacksInto(out));
    EXPECT_EQ(out.dones, 0) << "onDone ran inside synthesize()";
    io_.restart();
    io_.run_for(milliseconds(10000));
    return out;
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

// 0.25 s at 24 kHz in three chunks split at odd byte offsets.
ScriptedReply streamedPcm(size_t samples, std::string_view contentType = "application/octet-stream") {
  const std::string pcm = pcmBytes(samples);
  const size_t a = 1001;
  const size_t b = 6003;
  return {{{chunkedHead(contentType) + httpChunk(pcm.substr(0, a))},
           {httpChunk(pcm.substr(a, b - a)), milliseconds(20)},
           {httpChunk(pcm.substr(b)) + std::string(kLastChunk), milliseconds(20)}}};
}

TEST_F(OpenAiSpeechTest, StreamsPcmResampledTo48kHzAsItArrives) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return streamedPcm(6000); });
  auto tts = service(settingsFor(server));
  auto out = speak(*tts, "Héllo there.");
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_GE(out.audioCalls, 3);  // one per chunk at least: nothing waits for the whole body
  // Twice the samples (24 -> 48 kHz), give or take the filter's edges.
  EXPECT_NEAR(static_cast<double>(out.audio.size()), 12000.0, 12000.0 * 0.02);
  EXPECT_EQ(out.stats.audioSamples, static_cast<int64_t>(out.audio.size()));
  EXPECT_EQ(out.stats.characters, 12U);
  EXPECT_GE(out.stats.firstAudioMs, 0);
  ASSERT_GT(out.audio.size(), 6000U);
  // The level survives: no byte of a sample split across chunks was lost.
  EXPECT_NEAR(out.audio[6000], kLevel, kLevel * 0.02);
  EXPECT_NEAR(out.audio[3000], kLevel, kLevel * 0.02);

  ASSERT_EQ(server.requests().size(), 1U);
  const auto& req = server.requests()[0];
  EXPECT_EQ(req.requestLine(), "POST /v1/audio/speech HTTP/1.1");
  EXPECT_EQ(req.header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(req.header("content-type"), "application/json");
  const auto body = boost::json::parse(req.body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "tts-1");
  EXPECT_EQ(body.at("input").as_string(), "Héllo there.");
  EXPECT_EQ(body.at("voice").as_string(), "alloy");
  EXPECT_EQ(body.at("response_format").as_string(), "pcm");
  EXPECT_EQ(body.at("speed").as_double(), 1.0);
  EXPECT_FALSE(body.contains("instructions"));

  ASSERT_EQ(usage_.size(), 1U);
  EXPECT_EQ(usage_[0].stage, "tts");
  EXPECT_EQ(usage_[0].unit, "characters");
  EXPECT_EQ(usage_[0].model, "tts-1");
  EXPECT_DOUBLE_EQ(usage_[0].quantity, 12.0);  // code points, not bytes

  auto again = speak(*tts, "Second sentence.");
  EXPECT_EQ(again.error.value_or("not done"), "");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(OpenAiSpeechTest, OpenedaiSpeechAt22050HzAndInstructions) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return streamedPcm(5512, "audio/pcm;rate=22050"); });
  auto settings = settingsFor(server);
  settings.provider = "openedai-speech";
  settings.sampleRate = 22050;
  settings.speed = 1.25;
  settings.instructions = "Speak warmly.";
  auto tts = service(settings);
  auto out = speak(*tts, "Hi.");
  EXPECT_EQ(out.error.value_or("not done"), "");
  EXPECT_NEAR(static_cast<double>(out.audio.size()), 5512.0 * 48000 / 22050, 12000.0 * 0.02);
  const auto body = boost::json::parse(server.requests()[0].body).as_object();
  EXPECT_EQ(body.at("instructions").as_string(), "Speak warmly.");
  EXPECT_EQ(body.at("speed").as_double(), 1.25);
}

TEST_F(OpenAiSpeechTest, KokoroErrorDetail) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{httpResponse(
        400, "Bad Request", "application/json",
        R"({"detail":{"error":"invalid_model","message":"Unsupported model: tts-9","type":"invalid_request_error"}})")}}};
  });
  auto settings = settingsFor(server);
  settings.provider = "kokoro";
  auto tts = service(settings);
  auto out = speak(*tts, "Hi.");
  EXPECT_EQ(out.error.value_or(""), "kokoro speech: HTTP 400: Unsupported model: tts-9");
  EXPECT_TRUE(out.audio.empty());
  EXPECT_TRUE(usage_.empty());
}

TEST_F(OpenAiSpeechTest, UnauthorizedRateLimitedAndServerErrors) {
  int n = 0;
  HttpTestServer server(io_, [&n](const ReceivedRequest&) {
    switch (n++) {
      case 0:
        return ScriptedReply{{{httpResponse(
            401, "Unauthorized", "application/json",
            R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})")}}};
      case 1:
        return ScriptedReply{
            {{httpResponse(429, "Too Many Requests", "application/json",
                           R"({"error":{"message":"Rate limit reached","type":"requests","param":null,"code":null}})",
                           "Retry-After: 3\r\n")}}};
      default:
        return ScriptedReply{{{httpResponse(500, "Internal Server Error", "text/plain", "upstream exploded")}}};
    }
  });
  auto tts = service(settingsFor(server));
  auto unauthorized = speak(*tts, "a");
  EXPECT_EQ(unauthorized.error.value_or(""), "openai speech: HTTP 401: Incorrect API key provided.");
  EXPECT_EQ(unauthorized.error.value_or("").find(kKey), std::string::npos);
  EXPECT_EQ(speak(*tts, "b").error.value_or(""), "openai speech: HTTP 429 (retry after 3 s): Rate limit reached");
  EXPECT_EQ(speak(*tts, "c").error.value_or(""), "openai speech: HTTP 500: upstream exploded");
}

TEST_F(OpenAiSpeechTest, AKeyTheServerEchoesIsRedacted) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{httpResponse(401, "Unauthorized", "text/plain", std::string("bad key ") + kKey)}}};
  });
  auto tts = service(settingsFor(server));
  EXPECT_EQ(speak(*tts, "a").error.value_or(""), "openai speech: HTTP 401: bad key [redacted]");
}

TEST_F(OpenAiSpeechTest, AStallAfterSomeAudioTimesOut) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{chunkedHead("audio/pcm") + httpChunk(pcmBytes(2400))}}, AfterReply::kHold};
  });
  auto settings = settingsFor(server);
  settings.idleTimeout = milliseconds(200);
  auto tts = service(settings);
  auto out = speak(*tts, "Stalled.");
  EXPECT_EQ(out.error.value_or(""), "openai speech: timeout: no data for 200 ms");
  EXPECT_FALSE(out.audio.empty());
}

TEST_F(OpenAiSpeechTest, ACutStreamIsAnError) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{chunkedHead("audio/pcm") + httpChunk(pcmBytes(2400))}}, AfterReply::kClose};
  });
  auto tts = service(settingsFor(server));
  auto out = speak(*tts, "Cut.");
  EXPECT_EQ(out.error.value_or(""), "openai speech: read: the connection closed before the response ended");
}

TEST_F(OpenAiSpeechTest, JsonInsteadOfAudioIsAnError) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{httpResponse(200, "OK", "application/json", R"({"download_link":"/x.mp3"})")}}};
  });
  auto tts = service(settingsFor(server));
  auto out = speak(*tts, "Hi.");
  EXPECT_EQ(out.error.value_or(""),
            R"(openai speech: expected pcm audio, got application/json: {"download_link":"/x.mp3"})");
  EXPECT_TRUE(out.audio.empty());
}

TEST_F(OpenAiSpeechTest, CancelInsideOnAudioAbortsTheRequest) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{chunkedHead("audio/pcm") + httpChunk(pcmBytes(2400))}, {httpChunk(pcmBytes(2400)), milliseconds(100)}},
        AfterReply::kHold};
  });
  auto tts = service(settingsFor(server));
  Outcome out;
  auto cb = callbacksInto(out);
  cb.onAudio = [&](std::span<const int16_t> pcm) {
    out.audio.insert(out.audio.end(), pcm.begin(), pcm.end());
    ++out.audioCalls;
    tts->cancel();  // barge-in
  };
  tts->synthesize("Interrupted.", 7, cb);
  io_.run_for(milliseconds(500));
  EXPECT_EQ(out.audioCalls, 1);
  EXPECT_EQ(out.dones, 0);
  EXPECT_TRUE(server.clientClosed());
}

}  // namespace
}  // namespace convox::voice
