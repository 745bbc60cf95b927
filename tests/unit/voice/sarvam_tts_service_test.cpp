// SarvamTtsService (the bulbul socket) and SarvamRestTtsService against
// local servers speaking Sarvam's wire format (PROTOCOL-providers.md §7):
// the fake socket checks the key header, the query, that the config comes
// first and that each sentence is a text then a flush.
#include "voice/sarvam_tts_service.hpp"
#include "voice/sarvam_languages.hpp"

#include "http_test_server.hpp"
#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using testing::AfterReply;
using testing::httpResponse;
using testing::HttpTestServer;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::WebSocketServer;
using testing::WsConnection;
using testing::WsMessage;
using testing::WsRefusal;
using testing::WsUpgradeRequest;

constexpr const char* kKey = "sarvam-secret-4242";
constexpr int16_t kLevel = 0x1234;  // its bytes differ: a lost or swapped byte shows
constexpr int16_t kOtherLevel = -0x0567;

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 | static_cast<uint8_t>(bytes[i + 1]) << 8 |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void putLe(std::string& out, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string pcmOf(const std::vector<int16_t>& samples) {
  std::string out;
  for (const int16_t s : samples) putLe(out, static_cast<uint16_t>(s), 2);
  return out;
}

std::string level(size_t samples, int16_t value) { return pcmOf(std::vector<int16_t>(samples, value)); }

// A WAV as Sarvam's REST answer carries it; `listChunk` puts a LIST chunk
// before the data, as some writers do.
std::string wav(int rate, const std::string& pcm, bool listChunk = false, int bits = 16) {
  std::string out = "RIFF";
  const std::string list = listChunk ? std::string("LIST") + std::string("\x05\0\0\0INFOx\0", 10) : "";
  putLe(out, static_cast<uint32_t>(36 + list.size() + pcm.size()), 4);
  out += "WAVEfmt ";
  putLe(out, 16, 4);
  putLe(out, 1, 2);  // PCM
  putLe(out, 1, 2);  // mono
  putLe(out, static_cast<uint32_t>(rate), 4);
  putLe(out, static_cast<uint32_t>(rate * bits / 8), 4);
  putLe(out, static_cast<uint32_t>(bits / 8), 2);
  putLe(out, static_cast<uint32_t>(bits), 2);
  out += list;
  out += "data";
  putLe(out, static_cast<uint32_t>(pcm.size()), 4);
  return out + pcm;
}

std::string audioMessage(std::string_view bytes) {
  return R"({"type":"audio","data":{"audio":")" + base64(bytes) + R"(","request_id":"req-1"}})";
}
constexpr const char* kFinal = R"({"type":"event","data":{"event_type":"final"}})";

std::string typeOf(const WsMessage& m) {
  boost::system::error_code ec;
  const auto v = json::parse(m.data, ec);
  if (ec || !v.is_object() || !v.as_object().contains("type")) return "?";
  return std::string(v.as_object().at("type").as_string());
}

// Sarvam's socket as far as a client can tell: it refuses what a real one
// would refuse only by failing the test, so the test sees every violation.
struct FakeSarvamSocket {
  explicit FakeSarvamSocket(boost::asio::io_context& io) : server(io) {
    server.onMessage = [this](WsConnection& c, const WsMessage& m) {
      const auto t = typeOf(m);
      auto& last = lastType[&c];
      if (m.binary) violations.emplace_back("a binary message");
      if (last.empty() && t != "config") violations.push_back("first message " + t + ", not config");
      if (t == "flush" && last != "text") violations.push_back("flush after " + last + ", not after text");
      if (t == "text") {
        const auto message = json::parse(m.data);
        const auto* data = message.as_object().if_contains("data");
        if (!data || !data->is_object() || !data->as_object().contains("text"))
          violations.emplace_back("text without data.text");
      }
      last = t;
      if (t == "flush" && onFlush) onFlush(c, flushes++);
    };
  }
  void checkUpgrades(const std::string& model = "bulbul%3Av3") {
    for (const auto& u : server.upgrades()) {
      EXPECT_EQ(u.target, "/text-to-speech/ws?model=" + model + "&send_completion_event=true");
      EXPECT_EQ(u.header("api-subscription-key"), kKey);
    }
    EXPECT_TRUE(violations.empty()) << violations.front();
  }

  WebSocketServer server;
  std::function<void(WsConnection&, int sentence)> onFlush;
  int flushes = 0;
  std::map<WsConnection*, std::string> lastType;
  std::vector<std::string> violations;
};

struct Done {
  TtsStats stats;
  std::string error;
};

class SarvamTtsTest : public ::testing::Test {
 protected:
  SarvamTtsSettings settingsFor(const std::string& baseUrl) {
    SarvamTtsSettings s;
    s.baseUrl = baseUrl;
    s.apiKey = kKey;
    s.connectTimeout = 3000ms;
    return s;
  }
  UsageSink usageSink() {
    return [this](const ProviderUsage& u) { usage_.push_back(u); };
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return testing::runUntil(io_, done, limit);
  }
  TtsCallbacks into(std::optional<Done>& out, std::vector<int16_t>& audio) {
    return {[&audio](std::span<const int16_t> p) { audio.insert(audio.end(), p.begin(), p.end()); },
            [&out](TtsStats stats, const std::string& e) {
              out = Done{std::move(stats), e};
            }};
  }
  // One sentence to its onDone.
  Done speak(TtsService& tts, const std::string& text, std::vector<int16_t>& audio) {
    std::optional<Done> out;
    tts.synthesize(text, 1, into(out, audio));
    EXPECT_FALSE(out.has_value()) << "onDone ran inside synthesize()";
    EXPECT_TRUE(runUntil([&] { return out.has_value(); }));
    return out.value_or(Done{{}, "not done"});
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

// --- the socket --------------------------------------------------------------

TEST_F(SarvamTtsTest, TwoSentencesStreamedDecodedAndResampled) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int sentence) {
    const auto bytes = level(2400, sentence == 0 ? kLevel : kOtherLevel);  // 0.1 s at 24 kHz
    c.sendText(audioMessage(bytes.substr(0, 1001)));                       // split inside a sample
    c.sendText(R"({"type":"event","data":{"event_type":"progress"}})");
    c.sendText(audioMessage(bytes.substr(1001)));
    c.sendText(kFinal);
  };
  auto settings = settingsFor(fake.server.baseUrl());
  settings.language = "ta-IN";
  settings.pace = 2.5;  // above bulbul:v3's 2.0
  SarvamTtsService tts(io_, settings, usageSink());
  tts.warm();
  for (int i = 0; i < 2; ++i) {
    std::vector<int16_t> audio;
    const auto done = speak(tts, i == 0 ? "வணக்கம்." : "Bye now.", audio);
    EXPECT_EQ(done.error, "");
    // Twice the samples (24 -> 48 kHz), give or take the filter's edges.
    EXPECT_NEAR(static_cast<double>(audio.size()), 4800.0, 4800.0 * 0.02);
    EXPECT_EQ(done.stats.audioSamples, static_cast<int64_t>(audio.size()));
    ASSERT_GT(audio.size(), 3000U);
    const double want = i == 0 ? kLevel : kOtherLevel;
    EXPECT_NEAR(audio[1000], want, std::abs(want) * 0.02);  // the byte split across messages was kept
    EXPECT_NEAR(audio[3000], want, std::abs(want) * 0.02);
  }
  ASSERT_EQ(fake.server.upgrades().size(), 1U);
  fake.checkUpgrades();
  const auto& got = fake.server.connections()[0]->received();
  ASSERT_EQ(got.size(), 5U);
  const auto config = json::parse(got[0].data).as_object();
  EXPECT_EQ(config.at("type"), "config");
  const auto& data = config.at("data").as_object();
  EXPECT_EQ(data.at("target_language_code"), "ta-IN");
  EXPECT_EQ(data.at("speaker"), "shubh");
  EXPECT_EQ(data.at("pace").as_double(), 2.0);
  EXPECT_EQ(data.at("model"), "bulbul:v3");
  EXPECT_EQ(data.at("speech_sample_rate"), 24000);
  EXPECT_EQ(data.at("output_audio_codec"), "linear16");
  EXPECT_EQ(json::parse(got[1].data), json::parse(R"({"type":"text","data":{"text":"வணக்கம்."}})"));
  EXPECT_EQ(typeOf(got[2]), "flush");
  EXPECT_EQ(json::parse(got[3].data), json::parse(R"({"type":"text","data":{"text":"Bye now."}})"));
  ASSERT_EQ(usage_.size(), 2U);
  EXPECT_EQ(usage_[0].stage, "tts");
  EXPECT_EQ(usage_[0].provider, "sarvam");
  EXPECT_EQ(usage_[0].unit, "characters");
  EXPECT_EQ(usage_[0].model, "bulbul:v3");
  EXPECT_EQ(usage_[0].quantity, 8);  // code points, not bytes
  EXPECT_EQ(usage_[1].quantity, 8);
  tts.close();
  ASSERT_TRUE(runUntil([&] { return fake.server.connections()[0]->ended(); }));
  EXPECT_EQ(fake.server.connections()[0]->clientCloseCode(), 1000);
}

TEST_F(SarvamTtsTest, AudioInWavChunksHasItsHeaderSkippedAndV2Defaults) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int) {
    c.sendText(audioMessage(wav(16000, level(1600, kLevel))));
    c.sendText(kFinal);
  };
  auto settings = settingsFor(fake.server.baseUrl());
  settings.model = "bulbul:v2";
  settings.sampleRate = 16000;
  settings.pace = 0.1;
  SarvamTtsService tts(io_, settings, usageSink());
  std::vector<int16_t> audio;
  const auto done = speak(tts, "Namaste.", audio);
  EXPECT_EQ(done.error, "");
  EXPECT_NEAR(static_cast<double>(audio.size()), 4800.0, 4800.0 * 0.02);  // 16 -> 48 kHz
  ASSERT_GT(audio.size(), 2000U);
  EXPECT_NEAR(audio[2000], kLevel, kLevel * 0.02);  // no header bytes played as samples
  fake.checkUpgrades("bulbul%3Av2");
  const auto data = json::parse(fake.server.connections()[0]->received()[0].data).at("data").as_object();
  EXPECT_EQ(data.at("speaker"), "anushka");
  EXPECT_EQ(data.at("pace").as_double(), 0.3);
  EXPECT_EQ(data.at("speech_sample_rate"), 16000);
}

TEST_F(SarvamTtsTest, AnErrorMessageFailsTheSentenceAndTheNextOneGetsAFreshSocket) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int sentence) {
    if (sentence == 0) {
      c.sendText(R"({"type":"error","data":{"message":"Text exceeds the limit","code":"invalid_request_error"}})");
      c.sendText(audioMessage(level(100, kLevel)));  // after the error: not this sentence's to play
      return;
    }
    c.sendText(audioMessage(level(240, kOtherLevel)));
    c.sendText(kFinal);
  };
  SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
  std::vector<int16_t> audio;
  const auto failed = speak(tts, "Too long.", audio);
  EXPECT_EQ(failed.error, "sarvam tts: Text exceeds the limit (invalid_request_error)");
  std::vector<int16_t> next;
  const auto ok = speak(tts, "Short.", next);
  EXPECT_EQ(ok.error, "");
  EXPECT_FALSE(next.empty());
  EXPECT_EQ(fake.server.upgrades().size(), 2U);
  fake.checkUpgrades();
}

TEST_F(SarvamTtsTest, A403AtTheUpgradeNamesSarvamsReasonWithoutTheKey) {
  FakeSarvamSocket fake(io_);
  fake.server.onUpgrade = [](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
    return WsRefusal{403,
                     {{"Content-Type", "application/json"}},
                     std::string(R"({"error":{"message":"Invalid API key )") + kKey +
                         R"(","code":"invalid_api_key_error","request_id":"r9"}})"};
  };
  SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
  std::vector<int16_t> audio;
  const auto done = speak(tts, "Hello.", audio);
  EXPECT_EQ(done.error, "sarvam tts: cannot connect: HTTP 403: Invalid API key [redacted]");
  EXPECT_TRUE(audio.empty());
}

TEST_F(SarvamTtsTest, AConnectionCutMidSentenceFailsIt) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int) { c.sendText(audioMessage(level(2400, kLevel))); };
  SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
  std::optional<Done> done;
  std::vector<int16_t> audio;
  tts.synthesize("Hello.", 1, into(done, audio));
  ASSERT_TRUE(runUntil([&] { return !audio.empty(); }));  // what arrived before the cut is played
  fake.server.connections()[0]->cut();
  ASSERT_TRUE(runUntil([&] { return done.has_value(); }));
  EXPECT_TRUE(done->error.starts_with("sarvam tts: connection closed: ")) << done->error;
}

TEST_F(SarvamTtsTest, MalformedMessagesAndBadBase64FailTheSentenceWithTheReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"[1,2", "sarvam tts: malformed message: [1,2"},
      {R"({"data":{}})", R"(sarvam tts: malformed message: {"data":{}})"},
      {R"({"type":"audio","data":{"audio":"AB$%"}})", "sarvam tts: audio that is not base64"},
      {audioMessage(wav(22050, level(10, kLevel))), "sarvam tts: audio at 22050 Hz, asked for 24000"},
  };
  for (const auto& [sent, error] : cases) {
    const std::string& message = sent;  // a lambda cannot capture a structured binding (clang 14)
    FakeSarvamSocket fake(io_);
    fake.onFlush = [&message](WsConnection& c, int) { c.sendText(message); };
    SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
    std::vector<int16_t> audio;
    EXPECT_EQ(speak(tts, "Hello.", audio).error, error);
  }
}

TEST_F(SarvamTtsTest, AStalledSentenceTimesOutAndItsSocketIsDropped) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int sentence) {
    if (sentence == 0) return c.sendText(audioMessage(level(48, kLevel)));  // then nothing
    c.sendText(audioMessage(level(48, kOtherLevel)));
    c.sendText(kFinal);
  };
  auto settings = settingsFor(fake.server.baseUrl());
  settings.sentenceTimeout = 300ms;
  SarvamTtsService tts(io_, settings, usageSink());
  std::vector<int16_t> audio;
  EXPECT_EQ(speak(tts, "Hello.", audio).error, "sarvam tts: no audio for 300 ms");
  ASSERT_TRUE(runUntil([&] { return fake.server.connections()[0]->ended(); }));
  std::vector<int16_t> next;
  EXPECT_EQ(speak(tts, "Again.", next).error, "");
  EXPECT_EQ(fake.server.upgrades().size(), 2U);
}

TEST_F(SarvamTtsTest, CancelMidSentenceDeliversNothingMoreAndOpensAFreshSocket) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int sentence) {
    c.sendText(audioMessage(level(2400, sentence == 0 ? kLevel : kOtherLevel)));
    if (sentence > 0) c.sendText(kFinal);
  };
  SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
  std::optional<Done> first;
  std::vector<int16_t> firstAudio;
  tts.synthesize("A long sentence.", 1, into(first, firstAudio));
  ASSERT_TRUE(runUntil([&] { return !firstAudio.empty(); }));
  const size_t heard = firstAudio.size();
  tts.cancel();
  // The old socket still carries the cancelled sentence's audio and final.
  auto old = fake.server.connections()[0];
  old->sendText(audioMessage(level(2400, kLevel)));
  old->sendText(kFinal);
  ASSERT_TRUE(runUntil([&] { return old->ended() && fake.server.upgrades().size() == 2U; }))
      << old->ended() << " " << fake.server.upgrades().size();
  std::vector<int16_t> secondAudio;
  const auto second = speak(tts, "Next.", secondAudio);
  EXPECT_EQ(second.error, "");
  EXPECT_EQ(firstAudio.size(), heard);
  EXPECT_FALSE(first.has_value());
  ASSERT_GT(secondAudio.size(), 200U);
  EXPECT_NEAR(secondAudio[200], kOtherLevel, std::abs(kOtherLevel) * 0.02);
  // The fresh socket was configured before anything else.
  EXPECT_EQ(typeOf(fake.server.connections()[1]->received().at(0)), "config");
  fake.checkUpgrades();
}

TEST_F(SarvamTtsTest, CancelFromInsideOnAudioStopsAtOnce) {
  FakeSarvamSocket fake(io_);
  fake.onFlush = [](WsConnection& c, int) {
    c.sendText(audioMessage(level(240, kLevel)));
    c.sendText(audioMessage(level(240, kLevel)));
    c.sendText(kFinal);
  };
  SarvamTtsService tts(io_, settingsFor(fake.server.baseUrl()), usageSink());
  int chunks = 0;
  bool done = false;
  tts.synthesize("Hello there.", 1,
                 {[&](std::span<const int16_t>) {
                    ++chunks;
                    tts.cancel();
                  },
                  [&](TtsStats, const std::string&) { done = true; }});
  ASSERT_TRUE(runUntil([&] { return chunks > 0 && fake.server.connections()[0]->ended(); }));
  EXPECT_EQ(chunks, 1);
  EXPECT_FALSE(done);
}

TEST_F(SarvamTtsTest, AnIdleSocketIsKeptAliveWithPings) {
  FakeSarvamSocket fake(io_);
  auto settings = settingsFor(fake.server.baseUrl());
  settings.keepAliveInterval = 50ms;
  SarvamTtsService tts(io_, settings, usageSink());
  tts.warm();
  ASSERT_TRUE(runUntil(
      [&] { return !fake.server.connections().empty() && fake.server.connections()[0]->received().size() >= 3; }));
  const auto& got = fake.server.connections()[0]->received();
  EXPECT_EQ(typeOf(got[0]), "config");
  EXPECT_EQ(typeOf(got[1]), "ping");
  EXPECT_EQ(typeOf(got[2]), "ping");
  fake.checkUpgrades();
}

TEST_F(SarvamTtsTest, ARateTheSocketDoesNotServeFailsLaterWithTheReason) {
  auto settings = settingsFor("ws://127.0.0.1:1");
  settings.sampleRate = 44100;
  SarvamTtsService tts(io_, settings, usageSink());
  std::vector<int16_t> audio;
  EXPECT_EQ(speak(tts, "Hi.", audio).error,
            "sarvam tts: the socket does not serve 44100 Hz (8000, 16000, 22050, 24000)");
}

TEST(SarvamLanguage, BcpTagsMapToSarvamsIndianCodes) {
  EXPECT_EQ(sarvamLanguageCode(""), "") << "the caller's default";
  EXPECT_EQ(sarvamLanguageCode("hi"), "hi-IN");
  EXPECT_EQ(sarvamLanguageCode("hi-IN"), "hi-IN");
  EXPECT_EQ(sarvamLanguageCode("en-US"), "en-IN");
  EXPECT_EQ(sarvamLanguageCode("TA"), "ta-IN");
  EXPECT_EQ(sarvamLanguageCode("or-IN"), "od-IN");
  EXPECT_EQ(sarvamLanguageCode("fr-FR"), std::nullopt);
}

// --- REST --------------------------------------------------------------------

ScriptedReply jsonReply(int status, const std::string& body, std::string_view extraHeaders = {}) {
  const char* reason = status == 200   ? "OK"
                       : status == 403 ? "Forbidden"
                       : status == 429 ? "Too Many Requests"
                                       : "Error";
  return {{{httpResponse(status, reason, "application/json", body, extraHeaders)}}};
}

std::string audiosBody(const std::vector<std::string>& wavs) {
  json::array audios;
  for (const auto& w : wavs) audios.emplace_back(base64(w));
  return json::serialize(json::object{{"request_id", "20260901_abc"}, {"audios", std::move(audios)}});
}

TEST_F(SarvamTtsTest, RestDecodesTheWavsAndTakesTheirRate) {
  std::vector<int16_t> ramp(960);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<int16_t>(i * 7 - 3000);
  HttpTestServer server(io_, [&](const ReceivedRequest& r) {
    if (r.body.find("Second") != std::string::npos) return jsonReply(200, audiosBody({wav(48000, pcmOf(ramp))}));
    return jsonReply(200, audiosBody({wav(22050, level(2205, kLevel), true), wav(22050, level(2205, kLevel))}));
  });
  auto settings = settingsFor(server.baseUrl());
  settings.speaker = "anand";
  settings.language = "en-IN";
  SarvamRestTtsService tts(io_, settings, usageSink());
  std::vector<int16_t> audio;
  const auto done = speak(tts, "Héllo there.", audio);
  EXPECT_EQ(done.error, "");
  EXPECT_NEAR(static_cast<double>(audio.size()), 9600.0, 9600.0 * 0.02);  // 2 x 0.1 s at 48 kHz
  EXPECT_EQ(done.stats.audioSamples, static_cast<int64_t>(audio.size()));
  ASSERT_GT(audio.size(), 7000U);
  EXPECT_NEAR(audio[2400], kLevel, kLevel * 0.02);  // the LIST chunk was skipped, not played
  EXPECT_NEAR(audio[7000], kLevel, kLevel * 0.02);
  // 48 kHz needs no resampling: the samples as sent.
  std::vector<int16_t> exact;
  EXPECT_EQ(speak(tts, "Second one.", exact).error, "");
  EXPECT_EQ(exact, ramp);

  ASSERT_EQ(server.requests().size(), 2U);
  const auto& req = server.requests()[0];
  EXPECT_EQ(req.requestLine(), "POST /v1/text-to-speech HTTP/1.1");
  EXPECT_EQ(req.header("api-subscription-key"), kKey);
  EXPECT_EQ(req.header("content-type"), "application/json");
  const auto body = json::parse(req.body).as_object();
  EXPECT_EQ(body.at("text"), "Héllo there.");
  EXPECT_EQ(body.at("target_language_code"), "en-IN");
  EXPECT_EQ(body.at("speaker"), "anand");
  EXPECT_EQ(body.at("model"), "bulbul:v3");
  EXPECT_EQ(body.at("pace").as_double(), 1.0);
  EXPECT_EQ(body.at("speech_sample_rate"), 24000);
  EXPECT_EQ(body.at("output_audio_codec"), "wav");
  ASSERT_EQ(usage_.size(), 2U);
  EXPECT_EQ(usage_[0].unit, "characters");
  EXPECT_EQ(usage_[0].model, "bulbul:v3");
  EXPECT_EQ(usage_[0].quantity, 12);
}

TEST_F(SarvamTtsTest, RestHttpErrorsNameSarvamsMessage) {
  const std::tuple<int, std::string, std::string, std::string> cases[] = {
      {403,
       std::string(R"({"error":{"message":"Invalid API key )") + kKey +
           R"(","code":"invalid_api_key_error","request_id":"r1"}})",
       "", "sarvam tts: HTTP 403: Invalid API key [redacted]"},
      {429, R"({"error":{"message":"Rate limit exceeded","code":"rate_limit_exceeded_error"}})", "Retry-After: 7\r\n",
       "sarvam tts: HTTP 429 (retry after 7 s): Rate limit exceeded"},
      {500, R"({"error":{"message":"Internal server error","code":"internal_server_error"}})", "",
       "sarvam tts: HTTP 500: Internal server error"},
  };
  for (const auto& c : cases) {
    const auto& error = std::get<3>(c);
    HttpTestServer server(
        io_, [&c](const ReceivedRequest&) { return jsonReply(std::get<0>(c), std::get<1>(c), std::get<2>(c)); });
    SarvamRestTtsService tts(io_, settingsFor(server.baseUrl()), usageSink());
    std::vector<int16_t> audio;
    EXPECT_EQ(speak(tts, "Hello.", audio).error, error);
    EXPECT_TRUE(audio.empty());
  }
  EXPECT_TRUE(usage_.empty());  // nothing accepted, nothing billed
}

TEST_F(SarvamTtsTest, RestMalformedAnswersFailWithTheReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"<html>oops</html>", "sarvam tts: malformed response: not a JSON object: <html>oops</html>"},
      {R"({"request_id":"r","audios":[]})", "sarvam tts: malformed response: no audios"},
      {R"({"request_id":"r","audios":[7]})", "sarvam tts: malformed response: an audio that is not a string"},
      {R"({"request_id":"r","audios":["not*base64"]})", "sarvam tts: malformed response: audio that is not base64"},
      {audiosBody({"just some bytes"}), "sarvam tts: malformed response: not a WAV file (no RIFF/WAVE header)"},
      {audiosBody({wav(22050, std::string(100, 'x'), false, 8)}),
       "sarvam tts: malformed response: expected 16-bit mono PCM WAV, got format 1, 1 channel(s), 8 bits at 22050 Hz"},
      {audiosBody({wav(22050, "").substr(0, 30)}), "sarvam tts: malformed response: WAV without a fmt chunk"},
  };
  for (const auto& [answer, error] : cases) {
    const std::string& body = answer;  // a lambda cannot capture a structured binding (clang 14)
    HttpTestServer server(io_, [&body](const ReceivedRequest&) { return jsonReply(200, body); });
    SarvamRestTtsService tts(io_, settingsFor(server.baseUrl()), usageSink());
    std::vector<int16_t> audio;
    EXPECT_EQ(speak(tts, "Hello.", audio).error, error) << body;
  }
}

TEST_F(SarvamTtsTest, RestStallTimesOut) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return ScriptedReply{{}, AfterReply::kHold}; });
  auto settings = settingsFor(server.baseUrl());
  settings.connectTimeout = 100ms;
  settings.sentenceTimeout = 200ms;
  SarvamRestTtsService tts(io_, settings, usageSink());
  std::vector<int16_t> audio;
  const auto done = speak(tts, "Hello.", audio);
  EXPECT_TRUE(done.error.starts_with("sarvam tts: timeout")) << done.error;
}

TEST_F(SarvamTtsTest, RestCancelClosesTheRequestAndSaysNothing) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return ScriptedReply{{}, AfterReply::kHold}; });
  SarvamRestTtsService tts(io_, settingsFor(server.baseUrl()), usageSink());
  std::optional<Done> cancelled;
  std::vector<int16_t> audio;
  tts.synthesize("Hello.", 1, into(cancelled, audio));
  ASSERT_TRUE(runUntil([&] { return server.requests().size() == 1U; }));
  EXPECT_FALSE(server.clientClosed());
  tts.cancel();
  ASSERT_TRUE(runUntil([&] { return server.clientClosed(); }));
  EXPECT_FALSE(cancelled.has_value());
}

}  // namespace
}  // namespace convox::voice
