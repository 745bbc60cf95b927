// The client's signal connection against a scripted server on loopback
// (common::HttpServer): the /rtc query the SDKs send, the keep-alive pings
// once joined, the ping timeout, frames that are not SignalResponses, and
// a refused upgrade, each reported once with its reason.
#include "client/signal_client.hpp"

#include "common/http_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <thread>

using namespace convox;
using namespace std::chrono_literals;

namespace {

// Answers the upgrade, then does what the test scripted: send a join (with
// the given ping settings), answer pings or not, send garbage.
struct ScriptedServer : common::WebSocketHandler {
  int32_t pingInterval = 1;
  int32_t pingTimeout = 2;
  bool answerPings = true;
  bool sendGarbage = false;
  std::vector<livekit::SignalRequest> received;
  std::weak_ptr<common::WebSocketConnection> connection;

  void onOpen(std::shared_ptr<common::WebSocketConnection> c) override {
    connection = c;
    if (sendGarbage) return c->sendBinary("\xff\xff\xff not a protobuf");
    livekit::SignalResponse join;
    join.mutable_join()->mutable_participant()->set_sid("PA_test");
    join.mutable_join()->set_ping_interval(pingInterval);
    join.mutable_join()->set_ping_timeout(pingTimeout);
    c->sendBinary(join.SerializeAsString());
  }
  void onMessage(std::string_view data, bool) override {
    livekit::SignalRequest request;
    if (!request.ParseFromArray(data.data(), static_cast<int>(data.size()))) return;
    received.push_back(request);
    if (request.has_ping_req() && answerPings) {
      livekit::SignalResponse pong;
      pong.mutable_pong_resp()->set_last_ping_timestamp(request.ping_req().timestamp());
      if (auto c = connection.lock()) c->sendBinary(pong.SerializeAsString());
    }
  }
  void onClose(uint16_t, std::string_view) override {}
};

struct Recorder : client::SignalListener {
  std::vector<livekit::SignalResponse> messages;
  std::vector<std::string> closes;
  void onSignalMessage(const livekit::SignalResponse& m) override { messages.push_back(m); }
  void onSignalClosed(const std::string& reason) override { closes.push_back(reason); }
};

class SignalClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    handler_ = std::make_shared<ScriptedServer>();
    common::HttpRouter router;
    router.upgrade("/rtc", [this](const common::HttpRequest& req) {
      target_ = std::string(req.target());
      if (common::queryParameter(req, "access_token").value_or("").empty()) {
        return common::UpgradeDecision{common::makeResponse(req, boost::beast::http::status::unauthorized, "no token"),
                                       {}};
      }
      return common::UpgradeDecision{{}, handler_};
    });
    server_.emplace(io_, std::move(router), common::HttpServerLimits{});
    server_->listen("127.0.0.1", 0);
    url_ = "ws://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    server_->stop();
    io_.run_for(100ms);
  }

  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
    return done();
  }

  boost::asio::io_context io_;
  std::shared_ptr<ScriptedServer> handler_;
  std::optional<common::HttpServer> server_;
  std::string url_;
  std::string target_;
  Recorder recorder_;
};

}  // namespace

TEST(WebSocketUrl, SchemesPortsAndPrefixesAreReadAsTheSdksDo) {
  auto plain = client::parseWebSocketUrl("ws://example.com");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->path, "");
  auto tls = client::parseWebSocketUrl("https://lk.example.com:7443/prefix/");
  ASSERT_TRUE(tls.has_value());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->host, "lk.example.com");
  EXPECT_EQ(tls->port, "7443");
  EXPECT_EQ(tls->path, "/prefix");
  EXPECT_EQ(client::parseWebSocketUrl("wss://h")->port, "443");
  EXPECT_FALSE(client::parseWebSocketUrl("ftp://h").has_value());
  EXPECT_FALSE(client::parseWebSocketUrl("not a url").has_value());
}

TEST_F(SignalClientTest, JoinsWithTheSdkQueryAndPingsAtTheServersInterval) {
  client::SignalClient signal(io_, recorder_);
  client::SignalOptions options;
  options.autoSubscribe = false;
  std::string error;
  ASSERT_TRUE(signal.connect(url_, "abc.def.ghi", options, error)) << error;
  ASSERT_TRUE(runUntil([&] { return !recorder_.messages.empty(); }, 5s));
  EXPECT_TRUE(recorder_.messages[0].has_join());
  EXPECT_NE(target_.find("access_token=abc.def.ghi"), std::string::npos) << target_;
  EXPECT_NE(target_.find("auto_subscribe=0"), std::string::npos) << target_;
  EXPECT_NE(target_.find("protocol="), std::string::npos) << target_;
  // ping_interval is 1 s: two pings in 2.5 s, and the pongs keep it open
  // past the 2 s timeout.
  ASSERT_TRUE(runUntil([&] { return handler_->received.size() >= 2; }, 3s));
  EXPECT_TRUE(handler_->received[0].has_ping_req());
  EXPECT_GT(handler_->received[0].ping_req().timestamp(), 0);
  io_.run_for(1s);
  EXPECT_TRUE(recorder_.closes.empty());
  EXPECT_TRUE(signal.roundTripMillis().has_value());
  signal.leave();
  ASSERT_TRUE(runUntil(
      [&] {
        return std::any_of(handler_->received.begin(), handler_->received.end(),
                           [](const auto& r) { return r.has_leave(); });
      },
      3s));
  EXPECT_TRUE(recorder_.closes.empty());  // our own leave is not reported as a close
}

TEST_F(SignalClientTest, SilentServerIsGivenUpAfterThePingTimeout) {
  handler_->answerPings = false;
  client::SignalClient signal(io_, recorder_);
  std::string error;
  ASSERT_TRUE(signal.connect(url_, "t.o.k", {}, error)) << error;
  ASSERT_TRUE(runUntil([&] { return !recorder_.closes.empty(); }, 6s));
  ASSERT_EQ(recorder_.closes.size(), 1u);
  EXPECT_NE(recorder_.closes[0].find("ping timeout"), std::string::npos) << recorder_.closes[0];
  io_.run_for(200ms);
  EXPECT_EQ(recorder_.closes.size(), 1u);
}

TEST_F(SignalClientTest, FrameThatIsNotASignalResponseClosesWithAReason) {
  handler_->sendGarbage = true;
  client::SignalClient signal(io_, recorder_);
  std::string error;
  ASSERT_TRUE(signal.connect(url_, "t.o.k", {}, error)) << error;
  ASSERT_TRUE(runUntil([&] { return !recorder_.closes.empty(); }, 5s));
  EXPECT_NE(recorder_.closes[0].find("not a SignalResponse"), std::string::npos) << recorder_.closes[0];
  EXPECT_TRUE(recorder_.messages.empty());
}

TEST_F(SignalClientTest, RefusedUpgradeReportsTheHttpStatus) {
  client::SignalClient signal(io_, recorder_);
  std::string error;
  ASSERT_TRUE(signal.connect(url_, "", {}, error)) << error;  // our server refuses an empty token
  ASSERT_TRUE(runUntil([&] { return !recorder_.closes.empty(); }, 5s));
  EXPECT_NE(recorder_.closes[0].find("401"), std::string::npos) << recorder_.closes[0];
}

TEST_F(SignalClientTest, BadUrlIsRefusedAtOnceAndWssWithAnUntrustedCertificateFails) {
  client::SignalClient signal(io_, recorder_);
  std::string error;
  EXPECT_FALSE(signal.connect("gopher://x", "t", {}, error));
  EXPECT_NE(error.find("scheme"), std::string::npos) << error;
  // A TLS handshake against a plain-HTTP server cannot succeed: reported, not hung.
  ASSERT_TRUE(signal.connect("wss://127.0.0.1:" + std::to_string(server_->port()), "t.o.k", {}, error)) << error;
  ASSERT_TRUE(runUntil([&] { return !recorder_.closes.empty(); }, 5s));
  EXPECT_NE(recorder_.closes[0].find("TLS"), std::string::npos) << recorder_.closes[0];
}
