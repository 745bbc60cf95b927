#include "voice/websocket_client.hpp"

#include "run_until.hpp"
#include "websocket_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ssl.hpp>

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

struct Seen {
  bool opened = false;
  std::vector<WsMessage> messages;
  std::optional<WebSocketEnd> end;
};

class WebSocketClientTest : public ::testing::Test {
 protected:
  WebSocketHandlers handlersInto(Seen& seen) {
    return {[&seen] { seen.opened = true; },
            [&seen](std::string_view data, bool binary) {
              seen.messages.push_back({std::string(data), binary});
            },
            [&seen](const WebSocketEnd& e) { seen.end = e; }};
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    return testing::runUntil(io_, done, limit);
  }
  WebSocketRequest requestFor(const WebSocketServer& server, const std::string& path) {
    WebSocketRequest r;
    r.url = server.baseUrl() + path;
    r.connectTimeout = 3000ms;
    return r;
  }

  boost::asio::io_context io_;
};

TEST_F(WebSocketClientTest, SendsHeadersQueryAndMessagesInOrderBothWays) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage& m) {
    if (!m.binary && m.data == "ping-me") {
      c.sendText("{\"type\":\"Results\"}");
      c.sendBinary(std::string("\x01\x02\x00\x03", 4));
    }
  };
  auto request = requestFor(server, "/v1/listen?model=nova-3&interim_results=true");
  request.headers = {{"Authorization", "Token secret-key"}};
  Seen seen;
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  // Queued before the upgrade completed: sent after it, in order.
  ws->sendText("first");
  for (uint8_t i = 0; i < 40; ++i) {
    const std::array<uint8_t, 3> frame{i, 0, 7};
    ws->sendBinary(frame);
  }
  ws->sendText("ping-me");
  ASSERT_TRUE(runUntil([&] { return seen.messages.size() == 2; }));
  EXPECT_TRUE(seen.opened);
  EXPECT_TRUE(ws->open());
  ASSERT_EQ(server.upgrades().size(), 1U);
  EXPECT_EQ(server.upgrades()[0].target, "/v1/listen?model=nova-3&interim_results=true");
  EXPECT_EQ(server.upgrades()[0].header("Authorization"), "Token secret-key");
  const auto& got = server.connections().at(0)->received();
  ASSERT_EQ(got.size(), 42U);
  EXPECT_EQ(got.front().data, "first");
  EXPECT_FALSE(got.front().binary);
  for (uint8_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(got[1 + i].binary);
    EXPECT_EQ(got[1 + i].data, std::string({static_cast<char>(i), 0, 7}));
  }
  EXPECT_EQ(got.back().data, "ping-me");
  EXPECT_EQ(seen.messages[0].data, "{\"type\":\"Results\"}");
  EXPECT_FALSE(seen.messages[0].binary);
  EXPECT_EQ(seen.messages[1].data, std::string("\x01\x02\x00\x03", 4));
  EXPECT_TRUE(seen.messages[1].binary);

  ws->close(4000, "done");
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_EQ(seen.end->error, "");
  EXPECT_TRUE(seen.end->opened);
  EXPECT_TRUE(runUntil([&] { return server.connections()[0]->ended(); }));
  EXPECT_EQ(server.connections()[0]->clientCloseCode(), 4000);
}

TEST_F(WebSocketClientTest, DeliversThePeersCloseCodeAndReason) {
  WebSocketServer server(io_);
  server.onOpen = [](WsConnection& c) {
    c.sendText("last words");
    c.close(1011, "NET-0001");
  };
  Seen seen;
  auto ws = connectWebSocket(io_, requestFor(server, "/"), handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  ASSERT_EQ(seen.messages.size(), 1U);
  EXPECT_EQ(seen.messages[0].data, "last words");
  EXPECT_EQ(seen.end->closeCode, 1011);
  EXPECT_EQ(seen.end->closeReason, "NET-0001");
  EXPECT_EQ(seen.end->error, "");
  EXPECT_EQ(seen.end->describe(), "close 1011 NET-0001");
  EXPECT_FALSE(ws->open());
}

TEST_F(WebSocketClientTest, ARefusedUpgradeReportsStatusHeadersAndBody) {
  WebSocketServer server(io_);
  server.onUpgrade = [](const WsUpgradeRequest&) -> std::optional<WsRefusal> {
    return WsRefusal{
        401, {{"dg-error", "Invalid credentials."}, {"dg-request-id", "r-1"}}, "{\"err_code\":\"INVALID_AUTH\"}"};
  };
  Seen seen;
  auto ws = connectWebSocket(io_, requestFor(server, "/v1/listen"), handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_FALSE(seen.opened);
  EXPECT_FALSE(seen.end->opened);
  EXPECT_EQ(seen.end->httpStatus, 401U);
  EXPECT_EQ(seen.end->header("DG-Error"), "Invalid credentials.");
  EXPECT_EQ(seen.end->httpBody, "{\"err_code\":\"INVALID_AUTH\"}");
  EXPECT_EQ(seen.end->describe(), "HTTP 401");
}

TEST_F(WebSocketClientTest, AStalledUpgradeTimesOut) {
  WebSocketServer server(io_);
  server.stallUpgrades = true;
  auto request = requestFor(server, "/");
  request.connectTimeout = 300ms;
  Seen seen;
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_EQ(seen.end->error, "timeout: not connected within 300 ms");
  EXPECT_EQ(server.upgrades().size(), 1U);
}

TEST_F(WebSocketClientTest, ACutConnectionIsNotAClose) {
  WebSocketServer server(io_);
  server.onMessage = [](WsConnection& c, const WsMessage&) { c.cut(); };
  Seen seen;
  auto ws = connectWebSocket(io_, requestFor(server, "/"), handlersInto(seen));
  ws->sendText("hello");
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_TRUE(seen.end->opened);
  EXPECT_EQ(seen.end->closeCode, 0);
  EXPECT_EQ(seen.end->error, "read: the connection closed without a close frame");
}

TEST_F(WebSocketClientTest, CancelStopsEveryHandler) {
  WebSocketServer server(io_);
  server.onOpen = [](WsConnection& c) { c.sendText("too late"); };
  Seen seen;
  auto ws = connectWebSocket(io_, requestFor(server, "/"), handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.opened; }));
  ws->cancel();
  runUntil([] { return false; }, 200ms);
  EXPECT_FALSE(seen.end.has_value());
  EXPECT_TRUE(server.connections().at(0)->ended());
}

// With an idle timeout the client pings a silent peer: a peer that answers
// (Beast's server does) keeps the socket open past the timeout.
TEST_F(WebSocketClientTest, IdlePingsKeepAnAnsweringPeer) {
  WebSocketServer server(io_);
  auto request = requestFor(server, "/");
  request.idleTimeout = 1000ms;
  Seen seen;
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.opened; }));
  runUntil([&] { return seen.end.has_value(); }, 2500ms);
  EXPECT_FALSE(seen.end.has_value()) << seen.end->describe();
  EXPECT_TRUE(ws->open());
}

TEST_F(WebSocketClientTest, WssVerifiesTheServerAgainstTheCaFile) {
  boost::asio::ssl::context serverTls(boost::asio::ssl::context::tls_server);
  const std::string caFile = testing::useLoopbackCertificate(serverTls);
  WebSocketServer server(io_, &serverTls);
  server.onMessage = [](WsConnection& c, const WsMessage& m) { c.sendText("echo " + m.data); };
  auto request = requestFor(server, "/v1/text-to-speech/v/multi-stream-input?model_id=m");
  ASSERT_EQ(request.url.rfind("wss://", 0), 0U);
  request.caFile = caFile;
  request.headers = {{"xi-api-key", "k"}};
  Seen seen;
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  ws->sendText("secure");
  ASSERT_TRUE(runUntil([&] { return !seen.messages.empty(); }));
  EXPECT_EQ(seen.messages[0].data, "echo secure");
  EXPECT_EQ(server.upgrades().at(0).header("xi-api-key"), "k");
  ws->close(1000, "");
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_EQ(seen.end->error, "");

  // Without the CA file the system's CAs do not know the test CA.
  request.caFile.clear();
  Seen refused;
  auto ws2 = connectWebSocket(io_, request, handlersInto(refused));
  ASSERT_TRUE(runUntil([&] { return refused.end.has_value(); }));
  EXPECT_EQ(refused.end->error.rfind("TLS handshake: ", 0), 0U) << refused.end->error;
  EXPECT_NE(refused.end->error.find("certificate verify failed"), std::string::npos) << refused.end->error;
}

TEST_F(WebSocketClientTest, TheAddressFilterIsAppliedToTheResolvedAddresses) {
  WebSocketServer server(io_);
  auto request = requestFor(server, "/");
  request.refuse = [](const boost::asio::ip::address& a) -> std::optional<std::string> {
    if (a.is_loopback()) return std::string("loopback");
    return std::nullopt;
  };
  Seen seen;
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_NE(seen.end->error.find("refused"), std::string::npos) << seen.end->error;
  EXPECT_NE(seen.end->error.find("loopback"), std::string::npos) << seen.end->error;
  runUntil([] { return false; }, 50ms);
  EXPECT_TRUE(server.upgrades().empty());
}

TEST_F(WebSocketClientTest, ANonWebSocketUrlFailsWithItsReason) {
  Seen seen;
  WebSocketRequest request;
  request.url = "https://api.deepgram.com/v1/listen";
  auto ws = connectWebSocket(io_, request, handlersInto(seen));
  EXPECT_FALSE(seen.end.has_value());  // posted, never inside the call
  ASSERT_TRUE(runUntil([&] { return seen.end.has_value(); }));
  EXPECT_EQ(seen.end->error, "not a ws:// or wss:// URL");
}

}  // namespace
}  // namespace convox::voice
