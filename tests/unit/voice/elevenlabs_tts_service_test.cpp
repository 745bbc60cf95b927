#include "voice/elevenlabs_tts_service.hpp"

#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using testing::WebSocketServer;
using testing::WsConnection;
using testing::WsMessage;
using testing::WsRefusal;
using testing::WsUpgradeRequest;

constexpr const char* kKey = "xi-secret-key-456";

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// `samples` of a tone at 24 kHz, as base64 little-endian PCM.
std::string pcm24k(size_t samples) {
  std::string bytes;
  for (size_t i = 0; i < samples; ++i) {
    const auto s = static_cast<int16_t>((i % 24 < 12) ? 8000 : -8000);
    bytes += static_cast<char>(s & 0xFF);
    bytes += static_cast<char>((s >> 8) & 0xFF);
  }
  return base64(bytes);
}

// An audio message for `context` aligning `chars` (one character each, 10 ms apart).
std::string audioMessage(const std::string& context, const std::string& chars, size_t samples = 2400) {
  json::array cs;
  json::array starts;
  json::array durations;
  for (size_t i = 0; i < chars.size(); ++i) {
    cs.emplace_back(std::string(1, chars[i]));
    starts.emplace_back(static_cast<int64_t>(i * 10));
    durations.emplace_back(10);
  }
  json::object alignment{{"chars", cs}, {"charStartTimesMs", starts}, {"charDurationsMs", durations}};
  return json::serialize(json::object{{"audio", pcm24k(samples)},
                                      {"isFinal", nullptr},
                                      {"alignment", alignment},
                                      {"normalizedAlignment", alignment},
                                      {"contextId", context}});
}

struct Done {
  TtsStats stats;
  std::string error;
};

class ElevenLabsTtsTest : public ::testing::Test {
 protected:
  ElevenLabsTtsSettings settingsFor(const WebSocketServer& server) {
    ElevenLabsTtsSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.voiceId = "voice1";
    s.connectTimeout = 3000ms;
    return s;
  }
  std::unique_ptr<ElevenLabsTtsService> service(const ElevenLabsTtsSettings& s) {
    return std::make_unique<ElevenLabsTtsService>(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return testing::runUntil(io_, done, limit);
  }
  TtsCallbacks into(std::optional<Done>& out, int64_t& samples) {
    return {[&samples](std::span<const int16_t> pcm) { samples += static_cast<int64_t>(pcm.size()); },
            [&out](TtsStats stats, const std::string& e) {
              out = Done{std::move(stats), e};
            }};
  }
  // Speaks every flushed sentence: its text aligned over two chunks.
  static void answerSentences(WebSocketServer& server) {
    server.onMessage = [](WsConnection& c, const WsMessage& m) {
      const auto v = json::parse(m.data).as_object();
      if (!v.contains("flush")) return;
      const std::string text(v.at("text").as_string());
      const std::string context(v.at("context_id").as_string());
      const size_t half = text.size() / 2;
      c.sendText(audioMessage(context, text.substr(0, half)));
      c.sendText(audioMessage(context, text.substr(half)));
    };
  }
  static std::vector<json::object> sent(const WebSocketServer& server, size_t connection = 0) {
    std::vector<json::object> out;
    for (const auto& m : server.connections().at(connection)->received())
      out.push_back(json::parse(m.data).as_object());
    return out;
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(ElevenLabsTtsTest, OneContextPerReplyFlushedSentencesAlignedWords) {
  WebSocketServer server(io_);
  answerSentences(server);
  auto tts = service(settingsFor(server));
  tts->warm();
  std::optional<Done> first;
  int64_t firstSamples = 0;
  tts->synthesize("Hello there.", 7, into(first, firstSamples));
  ASSERT_TRUE(runUntil([&] { return first.has_value(); }));
  EXPECT_EQ(first->error, "");
  // 2 x 2400 samples at 24 kHz = 9600 at 48 kHz (the filter's tail flushed).
  EXPECT_EQ(first->stats.audioSamples, firstSamples);
  EXPECT_NEAR(static_cast<double>(firstSamples), 9600, 20);
  EXPECT_EQ(first->stats.characters, 12U);
  ASSERT_EQ(first->stats.words.size(), 2U);
  EXPECT_EQ(first->stats.words[0].textOffset, 0U);
  EXPECT_EQ(first->stats.words[0].sample, 0);
  // The chunks align "Hello " and "there. ": "there." is the second
  // chunk's first character, 2400 samples at 24 kHz = 4800 at 48 kHz in.
  EXPECT_EQ(first->stats.words[1].textOffset, 6U);
  EXPECT_EQ(first->stats.words[1].sample, 4800);

  std::optional<Done> second;
  int64_t secondSamples = 0;
  tts->synthesize("Bye.", 7, into(second, secondSamples));
  ASSERT_TRUE(runUntil([&] { return second.has_value(); }));
  EXPECT_EQ(second->error, "");
  tts->endUtterance(7);
  std::optional<Done> third;
  int64_t thirdSamples = 0;
  tts->synthesize("Next reply.", 8, into(third, thirdSamples));
  ASSERT_TRUE(runUntil([&] { return third.has_value(); }));

  ASSERT_EQ(server.upgrades().size(), 1U);
  EXPECT_EQ(server.upgrades()[0].target,
            "/v1/text-to-speech/voice1/multi-stream-input?model_id=eleven_flash_v2_5&output_format=pcm_24000"
            "&inactivity_timeout=180&sync_alignment=true");
  EXPECT_EQ(server.upgrades()[0].header("xi-api-key"), kKey);
  const auto messages = sent(server);
  ASSERT_EQ(messages.size(), 6U);
  EXPECT_EQ(messages[0].at("text"), " ");
  EXPECT_EQ(messages[0].at("context_id"), "u7");
  const auto& voice = messages[0].at("voice_settings").as_object();
  EXPECT_EQ(voice.at("stability").as_double(), 0.5);
  EXPECT_EQ(voice.at("similarity_boost").as_double(), 0.75);
  EXPECT_EQ(voice.at("use_speaker_boost").as_bool(), true);
  EXPECT_EQ(voice.at("speed").as_double(), 1.0);
  EXPECT_TRUE(voice.contains("style"));
  EXPECT_EQ(messages[1], (json::object{{"text", "Hello there. "}, {"context_id", "u7"}, {"flush", true}}));
  EXPECT_EQ(messages[2], (json::object{{"text", "Bye. "}, {"context_id", "u7"}, {"flush", true}}));
  EXPECT_EQ(messages[3], (json::object{{"context_id", "u7"}, {"close_context", true}}));
  EXPECT_EQ(messages[4].at("context_id"), "u8");
  EXPECT_TRUE(messages[4].contains("voice_settings"));
  EXPECT_EQ(messages[5].at("text"), "Next reply. ");

  ASSERT_EQ(usage_.size(), 3U);
  EXPECT_EQ(usage_[0].provider, "elevenlabs");
  EXPECT_EQ(usage_[0].stage, "tts");
  EXPECT_EQ(usage_[0].model, "eleven_flash_v2_5");
  EXPECT_EQ(usage_[0].unit, "characters");
  EXPECT_EQ(usage_[0].quantity, 13);  // "Hello there. " as sent
  EXPECT_EQ(usage_[1].quantity, 5);
}

TEST_F(ElevenLabsTtsTest, IsFinalEndsASentenceWithoutAlignment) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    const auto v = json::parse(m.data).as_object();
    if (!v.contains("flush")) return;
    c.sendText(json::serialize(json::object{{"audio", pcm24k(4800)}, {"contextId", "u1"}}));
    c.sendText(R"({"isFinal":true,"contextId":"u1"})");
  };
  auto tts = service(settingsFor(server));
  std::optional<Done> out;
  int64_t samples = 0;
  tts->synthesize("No alignment", 1, into(out, samples));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "");
  EXPECT_NEAR(static_cast<double>(samples), 9600, 20);
  EXPECT_TRUE(out->stats.words.empty());
}

TEST_F(ElevenLabsTtsTest, CancelClosesTheContextAndDropsItsLaterAudio) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    const auto v = json::parse(m.data).as_object();
    const std::string context(v.contains("context_id") ? v.at("context_id").as_string() : "");
    if (v.contains("flush") && context == "u1") c.sendText(audioMessage(context, "Long"));
    if (v.contains("close_context")) c.sendText(audioMessage(context, " sentence"));  // in flight already
    if (v.contains("flush") && context == "u2") c.sendText(audioMessage(context, "Ok."));
  };
  auto tts = service(settingsFor(server));
  std::optional<Done> out;
  int64_t samples = 0;
  tts->synthesize("Long sentence", 1, into(out, samples));
  ASSERT_TRUE(runUntil([&] { return samples > 0; }));
  tts->cancel();
  const int64_t heard = samples;
  std::optional<Done> next;
  int64_t nextSamples = 0;
  tts->synthesize("Ok.", 2, into(next, nextSamples));
  ASSERT_TRUE(runUntil([&] { return next.has_value(); }));
  EXPECT_EQ(next->error, "");
  EXPECT_EQ(samples, heard);
  EXPECT_FALSE(out.has_value());
  const auto messages = sent(server);
  ASSERT_GE(messages.size(), 3U);
  EXPECT_EQ(messages[2], (json::object{{"context_id", "u1"}, {"close_context", true}}));
}

TEST_F(ElevenLabsTtsTest, ARefusedHandshakeFailsTheSentence) {
  for (const auto& [status, headers, expected] :
       std::vector<std::tuple<unsigned, std::vector<std::pair<std::string, std::string>>, std::string>>{
           {401, {}, "elevenlabs: cannot connect: HTTP 401: {\"detail\":{\"status\":\"invalid_api_key\"}}"},
           {429,
            {{"retry-after", "2"}},
            "elevenlabs: cannot connect: HTTP 429: {\"detail\":{\"status\":\"invalid_api_key\"}} (retry-after 2)"},
           {500, {}, "elevenlabs: cannot connect: HTTP 500: {\"detail\":{\"status\":\"invalid_api_key\"}}"}}) {
    WebSocketServer server(io_);
    server.onUpgrade = [&, status = status, headers = headers](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
      return WsRefusal{status, headers, R"({"detail":{"status":"invalid_api_key"}})"};
    };
    auto tts = service(settingsFor(server));
    std::optional<Done> out;
    int64_t samples = 0;
    tts->synthesize("Hi.", 1, into(out, samples));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, expected);
    EXPECT_EQ(out->error.find(kKey), std::string::npos);
  }
}

TEST_F(ElevenLabsTtsTest, AnInBandErrorFailsTheSentenceWithItsReason) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (!json::parse(m.data).as_object().contains("flush")) return;
    c.sendText(
        R"({"message":"Have not received a new text input within the timeout of 20.0 seconds","error":"input_timeout_exceeded","code":1008})");
    c.close(1008, "input_timeout_exceeded");
  };
  auto tts = service(settingsFor(server));
  std::optional<Done> out;
  int64_t samples = 0;
  tts->synthesize("Hi.", 1, into(out, samples));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(
      out->error,
      "elevenlabs: input_timeout_exceeded: Have not received a new text input within the timeout of 20.0 seconds");
}

TEST_F(ElevenLabsTtsTest, ACloseOrACutMidSentenceFailsIt) {
  for (const bool cut : {false, true}) {
    WebSocketServer server(io_);
    boost::asio::steady_timer later(io_);
    server.onMessage = [cut, &later](WsConnection& c, const WsMessage& m) {
      if (!json::parse(m.data).as_object().contains("flush")) return;
      c.sendText(audioMessage("u1", "Hal"));
      if (cut) {
        // After the audio went out: cut() drops what is still queued.
        later.expires_after(50ms);
        later.async_wait([&c](boost::system::error_code) { c.cut(); });
      } else {
        c.close(1008, "policy violation");
      }
    };
    auto tts = service(settingsFor(server));
    std::optional<Done> out;
    int64_t samples = 0;
    tts->synthesize("Half a sentence", 1, into(out, samples));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, cut ? "elevenlabs: connection closed: read: the connection closed without a close frame"
                              : "elevenlabs: connection closed: close 1008 policy violation");
    EXPECT_GT(samples, 0);
  }
}

TEST_F(ElevenLabsTtsTest, AStallFailsTheSentenceAndMalformedMessagesAreIgnored) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (!json::parse(m.data).as_object().contains("flush")) return;
    c.sendText("{\"audio\": broken");
    c.sendText(audioMessage("u1", "Part"));
  };
  auto settings = settingsFor(server);
  settings.sentenceTimeout = 300ms;
  auto tts = service(settings);
  std::optional<Done> out;
  int64_t samples = 0;
  tts->synthesize("Partial text", 1, into(out, samples));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "elevenlabs: no audio for 300 ms");
  EXPECT_GT(samples, 0);  // the chunk after the malformed message was played
}

TEST_F(ElevenLabsTtsTest, ASocketClosedBetweenRepliesIsReopened) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    const auto v = json::parse(m.data).as_object();
    if (v.contains("close_context")) return c.close(1000, "");  // the server's idle close, early
    if (!v.contains("flush")) return;
    const std::string text(v.at("text").as_string());
    c.sendText(audioMessage(std::string(v.at("context_id").as_string()), text));
  };
  auto tts = service(settingsFor(server));
  for (uint64_t reply = 1; reply <= 2; ++reply) {
    std::optional<Done> out;
    int64_t samples = 0;
    tts->synthesize("Reply " + std::to_string(reply) + ".", reply, into(out, samples));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "");
    tts->endUtterance(reply);
    ASSERT_TRUE(runUntil([&] { return server.connections().size() == reply && server.connections().back()->ended(); }));
  }
  ASSERT_EQ(server.upgrades().size(), 2U);
  const auto second = sent(server, 1);
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second[0].at("context_id"), "u2");
  EXPECT_TRUE(second[0].contains("voice_settings"));  // a new socket: the context is initialised there
}

TEST_F(ElevenLabsTtsTest, AnUnsupportedSampleRateIsRefusedWithItsReason) {
  WebSocketServer server(io_);
  auto settings = settingsFor(server);
  settings.sampleRate = 22050;
  auto tts = service(settings);
  std::optional<Done> out;
  int64_t samples = 0;
  tts->synthesize("Hi.", 1, into(out, samples));
  EXPECT_FALSE(out.has_value());
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "elevenlabs: sample rate 22050 is not offered as PCM (pcm_16000 or pcm_24000)");
  EXPECT_TRUE(server.upgrades().empty());
}

}  // namespace
}  // namespace convox::voice
