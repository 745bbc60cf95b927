#include "voice/deepgram_stt_service.hpp"

#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>

namespace convox::voice {
namespace {

using namespace std::chrono_literals;
using testing::WebSocketServer;
using testing::WsConnection;
using testing::WsMessage;
using testing::WsRefusal;
using testing::WsUpgradeRequest;

constexpr const char* kKey = "dg-secret-key-123";

std::string results(std::string_view transcript, bool isFinal, bool fromFinalize = false, double confidence = 0.9) {
  return std::string(R"({"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":)") +
         (isFinal ? "true" : "false") + R"(,"speech_final":false,"from_finalize":)" +
         (fromFinalize ? "true" : "false") + R"(,"channel":{"alternatives":[{"transcript":")" +
         std::string(transcript) + R"(","confidence":)" + std::to_string(confidence) +
         R"(,"languages":["en"],"words":[{"word":"w","start":0.5,"end":0.75,"confidence":0.9}]}]},"metadata":{"request_id":"r"}})";
}

struct Final {
  SttResult result;
  std::string error;
};

class DeepgramSttTest : public ::testing::Test {
 protected:
  DeepgramSttSettings settingsFor(const WebSocketServer& server) {
    DeepgramSttSettings s;
    s.baseUrl = server.baseUrl() + "/v1";
    s.apiKey = kKey;
    s.connectTimeout = 3000ms;
    return s;
  }
  std::unique_ptr<DeepgramSttService> service(const DeepgramSttSettings& s) {
    return std::make_unique<DeepgramSttService>(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return testing::runUntil(io_, done, limit);
  }
  // Ten 20 ms pushes (3200 samples) of a ramp.
  static void speak(SttService& stt) {
    std::vector<int16_t> pcm(320);
    for (int i = 0; i < 10; ++i) {
      for (size_t j = 0; j < pcm.size(); ++j) pcm[j] = static_cast<int16_t>(i * 320 + j);
      stt.push(pcm);
    }
  }
  SttCallbacks into(std::optional<Final>& out) {
    return {{}, [&out](SttResult r, const std::string& e) { out = Final{std::move(r), e}; }};
  }
  // Answers every Finalize with one final segment and the from_finalize one.
  static void answerFinalize(WebSocketServer& server, std::string first, std::string second) {
    server.onMessage = [first, second](WsConnection& c, const WsMessage& m) {
      if (!m.binary && m.data == R"({"type":"Finalize"})") {
        c.sendText(results(first, true, false, 0.9));
        c.sendText(results(second, true, true, 0.7));
      }
    };
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(DeepgramSttTest, StreamsFramesAndJoinsTheFinalsOfTheUtterance) {
  WebSocketServer server(io_);
  bool sentInterim = false;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.binary && !sentInterim) {
      sentInterim = true;
      c.sendText(R"({"type":"SpeechStarted","channel":[0,1],"timestamp":0.1})");
      c.sendText(results("hello", false));
    }
    if (!m.binary && m.data == R"({"type":"Finalize"})") {
      c.sendText(results("Hello world.", true, false, 0.9));
      c.sendText(results("How are you?", true, true, 0.7));
    }
  };
  auto settings = settingsFor(server);
  settings.keywords = {"Convox", "front desk"};
  settings.endpointingMs = 25;
  settings.utteranceEndMs = 1000;
  auto stt = service(settings);
  std::vector<std::string> interims;
  stt->setInterimHandler([&](const SttResult& r) { interims.push_back(r.text); });
  stt->warm();
  speak(*stt);
  ASSERT_TRUE(runUntil([&] { return !interims.empty(); }));
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "");
  EXPECT_EQ(out->result.text, "Hello world. How are you?");
  EXPECT_NEAR(out->result.confidence, 0.8, 1e-9);
  EXPECT_EQ(out->result.language, "en");
  EXPECT_EQ(out->result.audioMs, 200);
  EXPECT_EQ(out->result.words.size(), 2U);
  EXPECT_EQ(interims.at(0), "hello");

  ASSERT_EQ(server.upgrades().size(), 1U);
  const auto& up = server.upgrades()[0];
  EXPECT_EQ(up.header("Authorization"), std::string("Token ") + kKey);
  EXPECT_EQ(up.target,
            "/v1/listen?model=nova-3&language=en-US&encoding=linear16&sample_rate=16000&channels=1&interim_results=true"
            "&punctuate=true&smart_format=false&endpointing=25&vad_events=false&utterance_end_ms=1000"
            "&keyterm=Convox&keyterm=front%20desk");
  // 3200 samples as four 50 ms frames, the Finalize after them.
  const auto& got = server.connections().at(0)->received();
  ASSERT_EQ(got.size(), 5U);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(got[i].binary);
    ASSERT_EQ(got[i].data.size(), 1600U);
    // Little-endian samples, in order.
    EXPECT_EQ(static_cast<uint8_t>(got[i].data[0]) | (static_cast<uint8_t>(got[i].data[1]) << 8), i * 800);
  }
  EXPECT_EQ(got[4].data, R"({"type":"Finalize"})");
  EXPECT_EQ(stt->listenUrl().find(kKey), std::string::npos);
}

TEST_F(DeepgramSttTest, OlderModelsGetKeywordsWithABoost) {
  WebSocketServer server(io_);
  auto settings = settingsFor(server);
  settings.model = "nova-2";
  settings.keywords = {"Convox", "desk:5"};
  settings.smartFormat = true;
  auto stt = service(settings);
  EXPECT_NE(stt->listenUrl().find("&smart_format=true&"), std::string::npos);
  EXPECT_NE(stt->listenUrl().find("&keywords=Convox%3A2&keywords=desk%3A5"), std::string::npos) << stt->listenUrl();
  EXPECT_EQ(stt->listenUrl().find("keyterm"), std::string::npos);
}

TEST_F(DeepgramSttTest, OneSocketServesEveryUtteranceAndItsLifetimeIsBilled) {
  WebSocketServer server(io_);
  answerFinalize(server, "one", "two");
  auto stt = service(settingsFor(server));
  for (int turn = 0; turn < 2; ++turn) {
    speak(*stt);
    std::optional<Final> out;
    stt->finish(into(out));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->result.text, "one two");
  }
  EXPECT_EQ(server.upgrades().size(), 1U);
  EXPECT_TRUE(usage_.empty());
  runUntil([] { return false; }, 100ms);
  stt->close();
  ASSERT_TRUE(runUntil([&] { return server.connections()[0]->ended(); }));
  const auto& got = server.connections()[0]->received();
  EXPECT_EQ(got.back().data, R"({"type":"CloseStream"})");
  ASSERT_EQ(usage_.size(), 1U);
  EXPECT_EQ(usage_[0].stage, "stt");
  EXPECT_EQ(usage_[0].provider, "deepgram");
  EXPECT_EQ(usage_[0].model, "nova-3");
  EXPECT_EQ(usage_[0].unit, "audio_seconds");
  // The socket's lifetime (>= the 100 ms idle wait), not the 0.4 s of audio
  // pushed: it is at least the wait.
  EXPECT_GE(usage_[0].quantity, 0.1);
}

TEST_F(DeepgramSttTest, KeepAliveWhenNoAudioFlows) {
  WebSocketServer server(io_);
  auto settings = settingsFor(server);
  settings.keepAliveInterval = 100ms;
  auto stt = service(settings);
  stt->warm();
  ASSERT_TRUE(runUntil([&] {
    if (server.connections().empty()) return false;
    int n = 0;
    for (const auto& m : server.connections()[0]->received()) n += m.data == R"({"type":"KeepAlive"})" ? 1 : 0;
    return n >= 2;
  }));
  for (const auto& m : server.connections()[0]->received()) EXPECT_FALSE(m.binary);
}

struct RefusalCase {
  unsigned status;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string expected;
};

TEST_F(DeepgramSttTest, ARefusedHandshakeFailsTheUtteranceWithTheReason) {
  for (const auto& c : std::vector<RefusalCase>{
           {401, {{"dg-error", "Invalid credentials."}}, "deepgram: cannot connect: HTTP 401: Invalid credentials."},
           {403,
            {{"dg-error", "Insufficient permissions."}},
            "deepgram: cannot connect: HTTP 403: Insufficient permissions."},
           {429,
            {{"dg-error", "Too many requests"}, {"retry-after", "3"}},
            "deepgram: cannot connect: HTTP 429: Too many requests (retry-after 3)"},
           {500, {}, "deepgram: cannot connect: HTTP 500: {\"err_code\":\"INTERNAL\"}"}}) {
    WebSocketServer server(io_);
    server.onUpgrade = [&](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
      return WsRefusal{c.status, c.headers, "{\"err_code\":\"INTERNAL\"}"};
    };
    auto stt = service(settingsFor(server));
    speak(*stt);
    runUntil([&] { return !server.upgrades().empty(); });
    runUntil([] { return false; }, 50ms);
    std::optional<Final> out;
    stt->finish(into(out));
    EXPECT_FALSE(out.has_value());  // posted
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, c.expected);
    EXPECT_EQ(out->error.find(kKey), std::string::npos);
    EXPECT_TRUE(usage_.empty());  // never opened: nothing billed
  }
}

TEST_F(DeepgramSttTest, ACloseDuringTheUtteranceFailsItAndTheNextOneReconnects) {
  for (const auto& [code, reason] :
       std::vector<std::pair<uint16_t, std::string>>{{1011, "NET-0001"}, {1008, "DATA-0000"}, {1002, "DATA-0000"}}) {
    WebSocketServer server(io_);
    int connection = 0;
    server.onOpen = [&](WsConnection&) { ++connection; };
    server.onMessage = [&, code = code, reason = reason](WsConnection& c, const WsMessage& m) {
      if (connection == 1 && m.binary) c.close(code, reason);
      if (connection == 2 && m.data == R"({"type":"Finalize"})") c.sendText(results("again", true, true));
    };
    auto stt = service(settingsFor(server));
    speak(*stt);
    ASSERT_TRUE(runUntil([&] { return !server.connections().empty() && server.connections()[0]->ended(); }));
    runUntil([] { return false; }, 50ms);
    std::optional<Final> out;
    stt->finish(into(out));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "deepgram: connection closed: close " + std::to_string(code) + " " + reason);
    ASSERT_EQ(usage_.size(), 1U);  // the first connection ended: billed

    speak(*stt);
    std::optional<Final> again;
    stt->finish(into(again));
    ASSERT_TRUE(runUntil([&] { return again.has_value(); }));
    EXPECT_EQ(again->error, "");
    EXPECT_EQ(again->result.text, "again");
    EXPECT_EQ(server.upgrades().size(), 2U);
    stt.reset();  // bills the second connection
    usage_.clear();
  }
}

TEST_F(DeepgramSttTest, ACutConnectionFailsThePendingFinal) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (m.data == R"({"type":"Finalize"})") c.cut();
  };
  auto stt = service(settingsFor(server));
  speak(*stt);
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "deepgram: connection closed: read: the connection closed without a close frame");
}

TEST_F(DeepgramSttTest, AStalledFinalizeTimesOutWithWhatWasFinal) {
  WebSocketServer server(io_);
  int connection = 0;
  server.onOpen = [&](WsConnection&) { ++connection; };
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (connection == 1 && m.binary && m.data.size() == 1600 && c.received().size() == 1) {
      c.sendText(results("so far", true));
    }
    if (connection == 2 && m.data == R"({"type":"Finalize"})") c.sendText(results("fresh", true, true));
  };
  auto settings = settingsFor(server);
  settings.finalizeTimeout = 300ms;
  auto stt = service(settings);
  speak(*stt);
  runUntil([&] { return !server.connections().empty() && server.connections()[0]->received().size() >= 4; });
  runUntil([] { return false; }, 50ms);
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "deepgram: no finalized result within 300 ms");
  EXPECT_EQ(out->result.text, "so far");
  // That socket is not trusted again.
  speak(*stt);
  std::optional<Final> next;
  stt->finish(into(next));
  ASSERT_TRUE(runUntil([&] { return next.has_value(); }));
  EXPECT_EQ(next->error, "");
  EXPECT_EQ(next->result.text, "fresh");
  EXPECT_EQ(server.upgrades().size(), 2U);
}

TEST_F(DeepgramSttTest, AMalformedMessageIsIgnored) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (m.data == R"({"type":"Finalize"})") {
      c.sendText("{not json");
      c.sendText(R"({"type":"Results","channel":{}})");
      c.sendText(results("still fine", true, true));
    }
  };
  auto stt = service(settingsFor(server));
  speak(*stt);
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->error, "");
  EXPECT_EQ(out->result.text, "still fine");
}

TEST_F(DeepgramSttTest, ACancelledUtterancesResultsDoNotReachTheNextOne) {
  WebSocketServer server(io_);
  int finalizes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (m.data != R"({"type":"Finalize"})") return;
    ++finalizes;
    c.sendText(results(finalizes == 1 ? "cancelled words" : "kept words", true, true));
  };
  auto stt = service(settingsFor(server));
  bool cancelledFinal = false;
  speak(*stt);
  stt->finish({{}, [&](SttResult, const std::string&) { cancelledFinal = true; }});
  stt->cancel();
  speak(*stt);
  std::optional<Final> out;
  stt->finish(into(out));
  ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
  EXPECT_EQ(out->result.text, "kept words");
  EXPECT_FALSE(cancelledFinal);
}

TEST_F(DeepgramSttTest, ASocketDroppedBetweenUtterancesReopensAtTheNextPush) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (m.data == R"({"type":"Finalize"})") {
      c.sendText(results("done", true, true));
      c.close(1000, "");
    }
  };
  auto stt = service(settingsFor(server));
  for (int turn = 0; turn < 2; ++turn) {
    speak(*stt);
    std::optional<Final> out;
    stt->finish(into(out));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "");
    EXPECT_EQ(out->result.text, "done");
    ASSERT_TRUE(runUntil([&] {
      return server.connections().size() == size_t(turn + 1) && server.connections()[turn]->ended() &&
             usage_.size() == size_t(turn + 1);
    }));
  }
  EXPECT_EQ(server.upgrades().size(), 2U);
}

}  // namespace
}  // namespace convox::voice
