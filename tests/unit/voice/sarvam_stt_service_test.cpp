// Sarvam speech-to-text against local servers speaking its wire formats
// (PROTOCOL-providers §7): the streaming WebSocket (SarvamSttService) and
// the REST batch endpoint (OpenAiTranscriptionService, Sarvam dialect).
#include "voice/sarvam_stt_service.hpp"
#include "voice/openai_transcription_service.hpp"

#include "http_test_server.hpp"
#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "common/base64.hpp"

#include <chrono>
#include <functional>
#include <optional>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;
using testing::httpResponse;
using testing::HttpTestServer;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::WebSocketServer;
using testing::WsConnection;
using testing::WsMessage;
using testing::WsRefusal;
using testing::WsUpgradeRequest;

constexpr const char* kKey = "sarvam-secret-key-789";
constexpr const char* kFlush = R"({"type":"flush"})";

std::string dataMessage(std::string_view transcript, double seconds, std::string_view language = "hi-IN") {
  return std::string(R"({"type":"data","data":{"request_id":"req-1","transcript":")") + std::string(transcript) +
         R"(","language_code":")" + std::string(language) + R"(","metrics":{"audio_duration":)" +
         std::to_string(seconds) + R"(,"processing_latency":0.2}}})";
}

struct Final {
  SttResult result;
  std::string error;
};

// The samples of one audio message, after checking its shape; empty (and a
// test failure) when it is not Sarvam's.
std::vector<int16_t> audioOf(const WsMessage& m) {
  EXPECT_FALSE(m.binary);
  const auto v = boost::json::parse(m.data);
  const auto& audio = v.at("audio").as_object();
  EXPECT_EQ(v.as_object().size(), 1U);
  EXPECT_EQ(audio.at("encoding").as_string(), "audio/wav");
  EXPECT_EQ(audio.at("sample_rate").as_int64(), 16000);
  const auto bytes = common::base64Decode(audio.at("data").as_string());
  EXPECT_TRUE(bytes.has_value());
  std::vector<int16_t> out;
  if (!bytes) return out;
  for (size_t i = 0; i + 1 < bytes->size(); i += 2) {
    out.push_back(
        static_cast<int16_t>(static_cast<uint8_t>((*bytes)[i]) | (static_cast<uint8_t>((*bytes)[i + 1]) << 8)));
  }
  return out;
}

class SarvamSttTest : public ::testing::Test {
 protected:
  SarvamSttSettings settingsFor(const WebSocketServer& server) {
    SarvamSttSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.language = "hi-IN";
    s.connectTimeout = 3000ms;
    return s;
  }
  std::unique_ptr<SarvamSttService> service(const SarvamSttSettings& s) {
    return std::make_unique<SarvamSttService>(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return testing::runUntil(io_, done, limit);
  }
  // Ten 20 ms pushes (3200 samples) of a ramp.
  static void speak(SttService& stt) {
    std::vector<int16_t> pcm(320);
    for (int i = 0; i < 10; ++i) {
      for (size_t j = 0; j < pcm.size(); ++j) pcm[j] = static_cast<int16_t>(i * 320 + static_cast<int>(j) - 1000);
      stt.push(pcm);
    }
  }
  SttCallbacks into(std::optional<Final>& out) {
    return {{}, [&out](SttResult r, const std::string& e) { out = Final{std::move(r), e}; }};
  }
  std::optional<Final> utterance(SttService& stt) {
    speak(stt);
    std::optional<Final> out;
    stt.finish(into(out));
    EXPECT_FALSE(out.has_value());  // never inside finish()
    EXPECT_TRUE(runUntil([&] { return out.has_value(); }));
    return out;
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(SarvamSttTest, StreamsAudioMessagesAndFlushesTwoUtterancesOnOneSocket) {
  WebSocketServer server(io_);
  int turn = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data == kFlush) {
      ++turn;
      c.sendText(R"({"type":"events","data":{"signal_type":"END_SPEECH","occured_at":1.2}})");
      c.sendText(dataMessage(turn == 1 ? "नमस्ते" : "दूसरा", 0.5));
    } else if (turn == 0 && c.received().size() == 1) {
      // Sarvam's own segmentation: a transcript before the flush.
      c.sendText(R"({"type":"events","data":{"signal_type":"START_SPEECH","occured_at":0.1}})");
      c.sendText(dataMessage("मैं", 0.25));
    }
  };
  auto stt = service(settingsFor(server));
  std::vector<std::string> interims;
  stt->setInterimHandler([&](const SttResult& r) { interims.push_back(r.text); });
  stt->warm();
  speak(*stt);
  ASSERT_TRUE(runUntil([&] { return !interims.empty(); }));
  std::optional<Final> first;
  stt->finish(into(first));
  ASSERT_TRUE(runUntil([&] { return first.has_value(); }));
  EXPECT_EQ(first->error, "");
  EXPECT_EQ(first->result.text, "मैं नमस्ते");
  EXPECT_EQ(first->result.language, "hi-IN");
  EXPECT_EQ(first->result.source, "saaras:v3");
  EXPECT_EQ(first->result.audioMs, 200);
  EXPECT_EQ(interims, std::vector<std::string>{"मैं"});
  auto second = utterance(*stt);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->error, "");
  EXPECT_EQ(second->result.text, "दूसरा");

  ASSERT_EQ(server.upgrades().size(), 1U);
  const auto& up = server.upgrades()[0];
  EXPECT_EQ(up.header("api-subscription-key"), kKey);
  EXPECT_EQ(up.header("Authorization"), "");
  EXPECT_EQ(up.target,
            "/speech-to-text/ws?language-code=hi-IN&model=saaras%3Av3&mode=transcribe&sample_rate=16000"
            "&input_audio_codec=pcm_s16le&flush_signal=true");
  EXPECT_EQ(stt->streamUrl().find(kKey), std::string::npos);
  // Per utterance: 3200 samples as two 100 ms messages, in order, then the flush.
  const auto& got = server.connections().at(0)->received();
  ASSERT_EQ(got.size(), 6U);
  for (size_t u = 0; u < 2; ++u) {
    std::vector<int16_t> samples;
    for (size_t i = 0; i < 2; ++i) {
      const auto part = audioOf(got[u * 3 + i]);
      EXPECT_EQ(part.size(), 1600U);
      samples.insert(samples.end(), part.begin(), part.end());
    }
    ASSERT_EQ(samples.size(), 3200U);
    for (size_t j = 0; j < samples.size(); ++j)
      ASSERT_EQ(samples[j], static_cast<int16_t>(static_cast<int>(j) - 1000)) << j;
    EXPECT_EQ(got[u * 3 + 2].data, kFlush);
  }
  // Billed as Sarvam reports it: each data message's audio_duration.
  ASSERT_EQ(usage_.size(), 3U);
  double seconds = 0;
  for (const auto& u : usage_) {
    EXPECT_EQ(u.stage, "stt");
    EXPECT_EQ(u.provider, "sarvam");
    EXPECT_EQ(u.model, "saaras:v3");
    EXPECT_EQ(u.unit, "audio_seconds");
    seconds += u.quantity;
  }
  EXPECT_DOUBLE_EQ(seconds, 1.25);
}

TEST_F(SarvamSttTest, TheUrlCarriesTheVadOptionsOnlyWhenSetAndModeOnlyForSaarasV3) {
  WebSocketServer server(io_);
  auto settings = settingsFor(server);
  settings.model = "saarika:v2.5";
  settings.language = "unknown";
  settings.vadSignals = true;
  settings.highVadSensitivity = false;
  auto stt = service(settings);
  EXPECT_EQ(stt->streamUrl(), server.baseUrl() +
                                  "/speech-to-text/ws?language-code=unknown&model=saarika%3Av2.5&sample_rate=16000"
                                  "&input_audio_codec=pcm_s16le&flush_signal=true&vad_signals=true"
                                  "&high_vad_sensitivity=false");
}

TEST_F(SarvamSttTest, AnErrorMessageFailsTheUtteranceAndTheNextOneReconnects) {
  WebSocketServer server(io_);
  int connection = 0;
  server.onOpen = [&](WsConnection&) { ++connection; };
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data != kFlush) return;
    if (connection == 1) {
      c.sendText(R"({"type":"error","data":{"message":"Audio could not be decoded for key )" + std::string(kKey) +
                 R"(","code":"invalid_request_error"}})");
    } else {
      c.sendText(dataMessage("फिर से", 0.2));
    }
  };
  auto stt = service(settingsFor(server));
  auto out = utterance(*stt);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->error, "sarvam: Audio could not be decoded for key [redacted] (invalid_request_error)");
  auto again = utterance(*stt);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error, "");
  EXPECT_EQ(again->result.text, "फिर से");
  EXPECT_EQ(server.upgrades().size(), 2U);
}

struct RefusalCase {
  unsigned status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string expected;
};

TEST_F(SarvamSttTest, ARefusedUpgradeFailsTheUtteranceWithSarvamsReason) {
  for (const auto& c : std::vector<RefusalCase>{
           {403,
            {},
            R"({"error":{"message":"Invalid API key","code":"invalid_api_key_error","request_id":"r1"}})",
            "sarvam: cannot connect: HTTP 403: Invalid API key (invalid_api_key_error)"},
           {429,
            {{"retry-after", "3"}},
            R"({"error":{"message":"Rate limit exceeded","code":"rate_limit_exceeded_error"}})",
            "sarvam: cannot connect: HTTP 429: Rate limit exceeded (rate_limit_exceeded_error) (retry-after 3)"},
           {500, {}, "upstream down", "sarvam: cannot connect: HTTP 500: upstream down"}}) {
    WebSocketServer server(io_);
    server.onUpgrade = [&](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
      return WsRefusal{c.status, c.headers, c.body};
    };
    auto stt = service(settingsFor(server));
    speak(*stt);
    ASSERT_TRUE(runUntil([&] { return !server.upgrades().empty(); }));
    runUntil([] { return false; }, 50ms);
    std::optional<Final> out;
    stt->finish(into(out));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, c.expected);
    EXPECT_EQ(out->error.find(kKey), std::string::npos);
    EXPECT_TRUE(usage_.empty());
  }
}

TEST_F(SarvamSttTest, AConnectionCutMidUtteranceFailsItAndTheNextOneReconnects) {
  WebSocketServer server(io_);
  int connection = 0;
  server.onOpen = [&](WsConnection&) { ++connection; };
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (connection == 1) c.cut();
    if (connection == 2 && m.data == kFlush) c.sendText(dataMessage("again", 0.2, "en-IN"));
  };
  auto stt = service(settingsFor(server));
  // One audio message, cut when it arrives: the utterance is still open.
  stt->push(std::vector<int16_t>(1600, 7));
  ASSERT_TRUE(runUntil([&] { return !server.connections().empty() && server.connections()[0]->ended(); }));
  runUntil([] { return false; }, 50ms);
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "sarvam: connection closed: read: the connection closed without a close frame");
  EXPECT_EQ(out->result.audioMs, 100);
  auto again = utterance(*stt);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->error, "");
  EXPECT_EQ(again->result.text, "again");
  EXPECT_EQ(again->result.language, "en-IN");
  EXPECT_EQ(server.upgrades().size(), 2U);
}

TEST_F(SarvamSttTest, MalformedMessagesAreIgnored) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (m.data != kFlush) return;
    c.sendText("{not json");
    c.sendText("[1,2]");
    c.sendText(R"({"type":"data"})");
    c.sendText(R"({"type":"data","data":{"transcript":5}})");
    c.sendText(R"({"type":"events","data":"odd"})");
    c.sendText(dataMessage("still fine", 0.1));
  };
  auto stt = service(settingsFor(server));
  auto out = utterance(*stt);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->error, "");
  EXPECT_EQ(out->result.text, "still fine");
}

TEST_F(SarvamSttTest, AnUnansweredFlushCompletesWithWhatArrivedAndKeepsTheSocket) {
  WebSocketServer server(io_);
  int flushes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data == kFlush) {
      if (++flushes == 3) c.sendText(dataMessage("answered", 0.1));
      return;
    }
    if (flushes == 0 && c.received().size() == 1) c.sendText(dataMessage("so far", 0.1));
  };
  auto settings = settingsFor(server);
  settings.finalizeTimeout = 300ms;
  auto stt = service(settings);
  speak(*stt);
  ASSERT_TRUE(runUntil([&] { return usage_.size() == 1; }));  // "so far" arrived before the flush
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "");
  EXPECT_EQ(out->result.text, "so far");
  // Nothing heard and nothing answered: an empty final, not an error.
  auto empty = utterance(*stt);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->error, "");
  EXPECT_EQ(empty->result.text, "");
  auto answered = utterance(*stt);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->result.text, "answered");
  EXPECT_EQ(server.upgrades().size(), 1U);
}

TEST_F(SarvamSttTest, ACancelledUtterancesTranscriptDoesNotReachTheNextOne) {
  WebSocketServer server(io_);
  int flushes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data == kFlush) c.sendText(dataMessage(++flushes == 1 ? "cancelled words" : "kept words", 0.2));
  };
  auto stt = service(settingsFor(server));
  speak(*stt);
  stt->cancel();
  auto out = utterance(*stt);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->result.text, "kept words");
  EXPECT_EQ(flushes, 2);
  EXPECT_EQ(usage_.size(), 2U);  // the cancelled one was transcribed, and billed
}

TEST_F(SarvamSttTest, WithVadSignalsASegmentSarvamEndedItselfDoesNotTakeTheFlushsAnswersPlace) {
  // Sarvam's VAD ends a segment of the first utterance as the flush crosses
  // it: END_SPEECH and that segment's transcript come first, then the flush's
  // answer, while the caller is already on the second utterance.
  constexpr const char* kStart = R"({"type":"events","data":{"signal_type":"START_SPEECH","occured_at":0.1}})";
  constexpr const char* kEnd = R"({"type":"events","data":{"signal_type":"END_SPEECH","occured_at":0.9}})";
  WebSocketServer server(io_);
  int flushes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data == kFlush) {
      ++flushes;
      if (flushes == 1) {
        c.sendText(kEnd);
        c.sendText(dataMessage("पहला हिस्सा", 0.2));  // the segment Sarvam ended
        c.sendText(dataMessage("बाकी", 0.1));        // the flush's answer
      } else {
        c.sendText(dataMessage(flushes == 2 ? "दूसरा" : "", 0.1));
      }
    } else if (flushes == 2 && c.received().size() == 7) {
      // The third utterance's first audio: a segment of Sarvam's own while
      // it is being pushed, before its flush.
      c.sendText(kStart);
      c.sendText(kEnd);
      c.sendText(dataMessage("अपना", 0.2));
    }
  };
  auto settings = settingsFor(server);
  settings.vadSignals = true;
  settings.finalizeTimeout = 60s;  // longer than runUntil's limit: only answers complete these
  auto stt = service(settings);
  std::vector<std::string> interims;
  stt->setInterimHandler([&](const SttResult& r) { interims.push_back(r.text); });
  std::optional<Final> first;
  std::optional<Final> second;
  speak(*stt);
  stt->finish(into(first));
  speak(*stt);
  stt->finish(into(second));
  ASSERT_TRUE(runUntil([&] { return first && second; }));
  EXPECT_EQ(first->error, "");
  EXPECT_EQ(first->result.text, "पहला हिस्सा बाकी");
  EXPECT_EQ(second->error, "");
  EXPECT_EQ(second->result.text, "दूसरा");
  EXPECT_TRUE(interims.empty());
  // Sarvam's own segment during an utterance is an interim of it; the
  // (empty) answer to its flush completes it.
  speak(*stt);
  ASSERT_TRUE(runUntil([&] { return !interims.empty(); }));
  std::optional<Final> third;
  stt->finish(into(third));
  ASSERT_TRUE(runUntil([&] { return third.has_value(); }));
  EXPECT_EQ(third->error, "");
  EXPECT_EQ(third->result.text, "अपना");
  EXPECT_EQ(interims, std::vector<std::string>{"अपना"});
  EXPECT_EQ(usage_.size(), 5U);  // every data message is billed
  EXPECT_EQ(server.upgrades().size(), 1U);
}

// --- REST: one POST {base}/speech-to-text per utterance --------------------

ScriptedReply reply(int status, std::string_view reason, std::string_view body, std::string_view extra = {}) {
  return {{{httpResponse(status, reason, "application/json", body, extra)}}};
}

class SarvamRestSttTest : public ::testing::Test {
 protected:
  OpenAiTranscriptionSettings settingsFor(const HttpTestServer& server) {
    OpenAiTranscriptionSettings s;
    s.dialect = TranscriptionDialect::kSarvam;
    s.baseUrl = server.baseUrl();
    s.path = "/speech-to-text";
    s.provider = "sarvam";
    s.apiKey = kKey;
    s.model = "saaras:v3";
    s.language = "hi-IN";
    s.mode = "transcribe";
    s.keywords = {"Convox"};  // not Sarvam's: not sent
    s.connectTimeout = 3000ms;
    s.idleTimeout = 3000ms;
    return s;
  }
  Final transcribe(const OpenAiTranscriptionSettings& s) {
    OpenAiTranscriptionService stt(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
    std::vector<int16_t> frame(320, 100);
    for (int i = 0; i < 25; ++i) stt.push(frame);
    std::optional<Final> out;
    stt.finish({{}, [&](SttResult r, const std::string& e) { out = Final{std::move(r), e}; }});
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!out && std::chrono::steady_clock::now() < until) {
      io_.restart();
      io_.run_for(5ms);
    }
    EXPECT_TRUE(out.has_value());
    return out.value_or(Final{{}, "no final"});
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(SarvamRestSttTest, PostsAWavWithSarvamsFieldsAndReadsTheTranscript) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return reply(200, "OK",
                 R"({"request_id":"r1","transcript":"मेरा नाम Aiden है","language_code":"hi-IN",)"
                 R"("language_probability":0.93})");
  });
  auto out = transcribe(settingsFor(server));
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.result.text, "मेरा नाम aiden है");
  EXPECT_EQ(out.result.language, "hi-IN");
  EXPECT_EQ(out.result.audioMs, 500);
  ASSERT_EQ(server.requests().size(), 1U);
  const auto& req = server.requests()[0];
  EXPECT_EQ(req.requestLine(), "POST /v1/speech-to-text HTTP/1.1");
  EXPECT_EQ(req.header("api-subscription-key"), kKey);
  EXPECT_EQ(req.header("authorization"), "");
  EXPECT_EQ(req.formField("model"), "saaras:v3");
  EXPECT_EQ(req.formField("language_code"), "hi-IN");
  EXPECT_EQ(req.formField("mode"), "transcribe");
  for (const char* field : {"language", "prompt", "response_format", "stream"}) {
    EXPECT_FALSE(req.hasFormField(field)) << field;
  }
  const std::string wav = req.formField("file");
  ASSERT_EQ(wav.size(), 44U + 8000U * 2U);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  ASSERT_EQ(usage_.size(), 1U);
  EXPECT_EQ(usage_[0].provider, "sarvam");
  EXPECT_EQ(usage_[0].model, "saaras:v3");
  EXPECT_EQ(usage_[0].unit, "audio_seconds");
  EXPECT_DOUBLE_EQ(usage_[0].quantity, 0.5);
}

TEST_F(SarvamRestSttTest, SaarikaGetsNoModeAndAnUnknownLanguageIsDetected) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return reply(200, "OK", R"({"request_id":"r2","transcript":"vanakkam","language_code":"ta-IN"})");
  });
  auto settings = settingsFor(server);
  settings.model = "saarika:v2.5";
  settings.language = "unknown";
  auto out = transcribe(settings);
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.result.language, "ta-IN");
  EXPECT_EQ(server.requests()[0].formField("language_code"), "unknown");
  EXPECT_FALSE(server.requests()[0].hasFormField("mode"));
}

struct HttpErrorCase {
  int status;
  const char* reason;
  std::string extra;
  std::string body;
  std::string expected;
};

TEST_F(SarvamRestSttTest, HttpErrorsCarrySarvamsMessageAndCode) {
  for (const auto& c : std::vector<HttpErrorCase>{
           {403, "Forbidden", "",
            R"({"error":{"message":"Invalid API key","code":"invalid_api_key_error","request_id":"r3"}})",
            "sarvam transcription: HTTP 403: Invalid API key (invalid_api_key_error)"},
           {429, "Too Many Requests", "Retry-After: 7\r\n",
            R"({"error":{"message":"Rate limit exceeded","code":"rate_limit_exceeded_error","request_id":"r4"}})",
            "sarvam transcription: HTTP 429 (retry after 7 s): Rate limit exceeded (rate_limit_exceeded_error)"},
           {500, "Internal Server Error", "",
            R"({"error":{"message":"Something went wrong","code":"internal_server_error","request_id":"r5"}})",
            "sarvam transcription: HTTP 500: Something went wrong (internal_server_error)"}}) {
    HttpTestServer server(io_, [&](const ReceivedRequest&) { return reply(c.status, c.reason, c.body, c.extra); });
    usage_.clear();
    auto out = transcribe(settingsFor(server));
    EXPECT_EQ(out.error, c.expected);
    EXPECT_EQ(out.error.find(kKey), std::string::npos);
    EXPECT_TRUE(usage_.empty());
  }
}

TEST_F(SarvamRestSttTest, AMalformedBodyIsAnErrorWithTheReason) {
  for (const auto& c : std::vector<std::pair<std::string, std::string>>{
           {"<html>gateway</html>", "sarvam transcription: malformed response: not a JSON object"},
           {R"({"request_id":"r6","transcript":null})", "sarvam transcription: malformed response: no transcript"},
           {R"({"error":{"message":"Quota exhausted","code":"insufficient_quota_error"}})",
            "sarvam transcription: the server reported an error: Quota exhausted (insufficient_quota_error)"}}) {
    HttpTestServer server(io_, [&](const ReceivedRequest&) { return reply(200, "OK", c.first); });
    usage_.clear();
    auto out = transcribe(settingsFor(server));
    EXPECT_EQ(out.error, c.second);
    EXPECT_TRUE(usage_.empty());
  }
}

}  // namespace
}  // namespace convox::voice
