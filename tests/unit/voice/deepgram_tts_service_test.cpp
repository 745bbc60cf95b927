#include "voice/deepgram_tts_service.hpp"

#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

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

constexpr const char* kKey = "dg-tts-secret-789";

// `samples` little-endian samples counting up from `first`.
std::string pcm(size_t samples, int first = 0) {
  std::string bytes;
  for (size_t i = 0; i < samples; ++i) {
    const auto s = static_cast<int16_t>(first + static_cast<int>(i));
    bytes += static_cast<char>(s & 0xFF);
    bytes += static_cast<char>((s >> 8) & 0xFF);
  }
  return bytes;
}

std::string typeOf(const WsMessage& m) {
  if (m.binary) return "binary";
  return std::string(json::parse(m.data).as_object().at("type").as_string());
}

struct Done {
  TtsStats stats;
  std::string error;
};

class DeepgramTtsTest : public ::testing::Test {
 protected:
  DeepgramTtsSettings settingsFor(const WebSocketServer& server) {
    DeepgramTtsSettings s;
    s.baseUrl = server.baseUrl() + "/v1";
    s.apiKey = kKey;
    s.connectTimeout = 3000ms;
    return s;
  }
  std::unique_ptr<DeepgramTtsService> service(const DeepgramTtsSettings& s) {
    return std::make_unique<DeepgramTtsService>(io_, s, [this](const ProviderUsage& u) { usage_.push_back(u); });
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

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(DeepgramTtsTest, SpeakFlushAudioFlushed) {
  WebSocketServer server(io_);
  int flushes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    if (typeOf(m) != "Flush") return;
    const auto bytes = pcm(1001, flushes * 10000);
    // Split inside a sample: the client joins the halves.
    c.sendBinary(bytes.substr(0, 1001));
    c.sendBinary(bytes.substr(1001));
    c.sendText(R"({"type":"Metadata","request_id":"r","model_name":"aura-2-thalia-en"})");
    c.sendText(R"({"type":"Flushed","sequence_id":)" + std::to_string(flushes++) + "}");
  };
  auto tts = service(settingsFor(server));
  tts->warm();
  for (int i = 0; i < 2; ++i) {
    std::optional<Done> out;
    std::vector<int16_t> audio;
    tts->synthesize(i == 0 ? "Hello there." : "Bye.", 1, into(out, audio));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "");
    ASSERT_EQ(audio.size(), 1001U);
    for (size_t j = 0; j < audio.size(); ++j) ASSERT_EQ(audio[j], static_cast<int16_t>(i * 10000 + j));
    EXPECT_EQ(out->stats.audioSamples, 1001);
  }
  ASSERT_EQ(server.upgrades().size(), 1U);
  EXPECT_EQ(server.upgrades()[0].target, "/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=48000");
  EXPECT_EQ(server.upgrades()[0].header("Authorization"), std::string("Token ") + kKey);
  const auto& got = server.connections()[0]->received();
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(json::parse(got[0].data), json::parse(R"({"type":"Speak","text":"Hello there."})"));
  EXPECT_EQ(typeOf(got[1]), "Flush");
  EXPECT_EQ(json::parse(got[2].data), json::parse(R"({"type":"Speak","text":"Bye."})"));
  ASSERT_EQ(usage_.size(), 2U);
  EXPECT_EQ(usage_[0].quantity, 12);
  EXPECT_EQ(usage_[0].unit, "characters");
  EXPECT_EQ(usage_[0].model, "aura-2-thalia-en");
  tts->close();
  ASSERT_TRUE(runUntil([&] { return server.connections()[0]->ended(); }));
  EXPECT_EQ(typeOf(server.connections()[0]->received().back()), "Close");
}

TEST_F(DeepgramTtsTest, CancelClearsAndDropsAudioUntilCleared) {
  WebSocketServer server(io_);
  int flushes = 0;
  server.onMessage = [&](WsConnection& c, const WsMessage& m) {
    const auto t = typeOf(m);
    // Cut by the barge-in inside a sample: its odd byte must not shift the next sentence.
    if (t == "Flush" && flushes++ == 0) c.sendBinary(pcm(100, 1) + '\x7f');
    if (t == "Clear") {
      c.sendBinary(pcm(100, 1));  // already on its way
      c.sendText(R"({"type":"Flushed","sequence_id":0})");
      c.sendText(R"({"type":"Cleared","sequence_id":0})");
    }
    if (t == "Flush" && flushes == 2) {
      c.sendBinary(pcm(50, 500));
      c.sendText(R"({"type":"Flushed","sequence_id":1})");
    }
  };
  auto tts = service(settingsFor(server));
  std::optional<Done> first;
  std::vector<int16_t> firstAudio;
  tts->synthesize("A long sentence", 1, into(first, firstAudio));
  ASSERT_TRUE(runUntil([&] { return !firstAudio.empty(); }));
  tts->cancel();
  std::optional<Done> second;
  std::vector<int16_t> secondAudio;
  tts->synthesize("Next.", 2, into(second, secondAudio));
  ASSERT_TRUE(runUntil([&] { return second.has_value(); }));
  EXPECT_EQ(second->error, "");
  ASSERT_EQ(secondAudio.size(), 50U);
  EXPECT_EQ(secondAudio[0], 500);
  EXPECT_EQ(firstAudio.size(), 100U);
  EXPECT_FALSE(first.has_value());
}

TEST_F(DeepgramTtsTest, FailuresNameTheirReason) {
  {
    WebSocketServer server(io_);
    server.onUpgrade = [](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
      return WsRefusal{401, {{"dg-error", "Invalid credentials."}}, ""};
    };
    auto tts = service(settingsFor(server));
    std::optional<Done> out;
    std::vector<int16_t> audio;
    tts->synthesize("Hi.", 1, into(out, audio));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "deepgram tts: cannot connect: HTTP 401: Invalid credentials.");
  }
  {
    WebSocketServer server(io_);
    server.onMessage = [](WsConnection& c, const WsMessage& m) {
      if (typeOf(m) == "Flush") c.close(1011, "NET-0000");
    };
    auto tts = service(settingsFor(server));
    std::optional<Done> out;
    std::vector<int16_t> audio;
    tts->synthesize("Hi.", 1, into(out, audio));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "deepgram tts: connection closed: close 1011 NET-0000");
  }
  {
    WebSocketServer server(io_);
    server.onMessage = [](WsConnection& c, const WsMessage& m) {
      if (typeOf(m) != "Flush") return;
      c.sendText("[1,2");
      c.sendText(R"({"type":"Warning","description":"flush limit","code":"W"})");
      c.sendText(R"({"type":"Error","description":"Text too long"})");
    };
    auto tts = service(settingsFor(server));
    std::optional<Done> out;
    std::vector<int16_t> audio;
    tts->synthesize("Hi.", 1, into(out, audio));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "deepgram tts: Text too long");
  }
  {
    WebSocketServer server(io_);
    auto settings = settingsFor(server);
    settings.sentenceTimeout = 300ms;
    auto tts = service(settings);
    std::optional<Done> out;
    std::vector<int16_t> audio;
    tts->synthesize("Hi.", 1, into(out, audio));
    ASSERT_TRUE(runUntil([&] { return out.has_value(); }));
    EXPECT_EQ(out->error, "deepgram tts: no audio for 300 ms");
  }
}

}  // namespace
}  // namespace convox::voice
