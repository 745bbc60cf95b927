// No exception from a handler ends the server: an HTTP or upgrade handler that
// throws answers 500, a WebSocket handler that throws closes that one
// connection (1011), a task on the io_context that throws is logged and the
// loop goes on. Malformed requests are answered (400, 431) before the
// connection closes.
#include "common/http_server.hpp"
#include "common/io_runner.hpp"
#include "echo_socket.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace convox::common;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// What a client saw of one WebSocket: the echo of its message, or the close
// code the server ended it with.
struct WebSocketOutcome {
  std::string echoed;
  std::optional<uint16_t> closeCode;
};

WebSocketOutcome talk(uint16_t port, const std::string& target, const std::string& text) {
  asio::io_context io;
  beast::websocket::stream<beast::tcp_stream> ws(io);
  ws.set_option(beast::websocket::stream_base::timeout{std::chrono::seconds(10), std::chrono::seconds(10), false});
  WebSocketOutcome outcome;
  beast::flat_buffer buffer;
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.handshake("127.0.0.1", target);
  beast::error_code ec;
  ws.write(asio::buffer(text), ec);
  if (!ec) ws.read(buffer, ec);
  if (!ec) {
    outcome.echoed = beast::buffers_to_string(buffer.data());
    ws.close(beast::websocket::close_code::normal, ec);
  } else if (ec == beast::websocket::error::closed) {
    outcome.closeCode = ws.reason().code;
  }
  return outcome;
}

// Writes raw bytes and returns everything the server sends until it closes.
std::string rawExchange(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  std::string answer;
  beast::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);  // until the server closes
  return answer;
}

using Echo = convox::testing::EchoSocket;

// Counts the connections the server has finished, so a test ends only after
// the server side let go of them (a session and its handler hold each other
// until then).
std::atomic<int> finishedConnections{0};

class ThrowsOnMessage : public Echo {
 public:
  void onMessage(std::string_view, bool) override { throw std::runtime_error("bad frame handling"); }
  void onClose(uint16_t code, std::string_view reason) override {
    Echo::onClose(code, reason);
    ++finishedConnections;
  }
};

class ThrowsOnOpen : public Echo {
 public:
  void onOpen(std::shared_ptr<WebSocketConnection>) override { throw std::out_of_range("no such room"); }
};

class HandlerErrorsTest : public ::testing::Test {
 protected:
  HandlerErrorsTest() {
    HttpRouter router;
    router.exact("/fine", [](const HttpRequest& req) { return makeResponse(req, http::status::ok, "fine"); });
    router.exact("/read-only",
                 getOnly([](const HttpRequest& req) { return makeResponse(req, http::status::ok, "ro"); }));
    router.exact("/throws", [](const HttpRequest&) -> HttpResponse { throw std::invalid_argument("not exact"); });
    router.exact("/throws-int", [](const HttpRequest&) -> HttpResponse { throw 42; });
    router.upgrade("/echo", [](const HttpRequest&) { return UpgradeDecision{{}, std::make_shared<Echo>()}; });
    router.upgrade("/upgrade-throws",
                   [](const HttpRequest&) -> UpgradeDecision { throw std::invalid_argument("not exact"); });
    router.upgrade("/message-throws", [](const HttpRequest&) {
      return UpgradeDecision{{}, std::make_shared<ThrowsOnMessage>()};
    });
    router.upgrade("/open-throws", [](const HttpRequest&) {
      return UpgradeDecision{{}, std::make_shared<ThrowsOnOpen>()};
    });
    HttpServerLimits limits;
    limits.maxHeaderBytes = 2048;
    server_.emplace(io_, std::move(router), limits);
    server_->listen("127.0.0.1", 0);
    port_ = server_->port();
    thread_ = std::thread([this] { runCatchingExceptions(io_, "test"); });
  }

  ~HandlerErrorsTest() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::string get(const std::string& target) {
    return rawExchange(port_, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{asio::make_work_guard(io_)};
  std::optional<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(HandlerErrorsTest, ThrowingHttpHandlersAnswer500AndTheServerGoesOn) {
  EXPECT_TRUE(get("/throws").starts_with("HTTP/1.1 500"));
  EXPECT_TRUE(get("/throws-int").starts_with("HTTP/1.1 500"));
  EXPECT_TRUE(get("/fine").starts_with("HTTP/1.1 200"));
}

TEST_F(HandlerErrorsTest, ThrowingUpgradeHandlerAnswers500AndTheServerGoesOn) {
  const auto answer =
      rawExchange(port_,
                  "GET /upgrade-throws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 500")) << answer;
  EXPECT_EQ(talk(port_, "/echo", "still here").echoed, "still here");
}

TEST_F(HandlerErrorsTest, ThrowingWebSocketHandlersCloseOnlyTheirConnection) {
  const int finishedBefore = finishedConnections;
  EXPECT_EQ(talk(port_, "/message-throws", "boom").closeCode, uint16_t{1011});
  for (int i = 0; i < 1000 && finishedConnections == finishedBefore; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(finishedConnections, finishedBefore + 1) << "the server never finished the connection it closed";
  EXPECT_EQ(talk(port_, "/open-throws", "boom").closeCode, uint16_t{1011});
  EXPECT_EQ(talk(port_, "/echo", "others unaffected").echoed, "others unaffected");
}

TEST_F(HandlerErrorsTest, ThrowingTaskOnTheLoopIsLoggedAndTheLoopGoesOn) {
  std::promise<void> ranAfter;
  asio::steady_timer timer(io_, std::chrono::milliseconds(1));
  timer.async_wait([](const boost::system::error_code&) { throw std::runtime_error("timer exploded"); });
  asio::post(io_, [] { throw std::runtime_error("posted task exploded"); });
  asio::steady_timer later(io_, std::chrono::milliseconds(20));
  later.async_wait([&](const boost::system::error_code&) { ranAfter.set_value(); });
  EXPECT_EQ(ranAfter.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(get("/fine").starts_with("HTTP/1.1 200"));
}

TEST_F(HandlerErrorsTest, OversizedHeadersAre431) {
  const auto answer =
      rawExchange(port_, "GET /fine HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 431")) << answer.substr(0, 80);
}

TEST_F(HandlerErrorsTest, MalformedFramingIs400) {
  for (const std::string head : {
           "POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n",
           "POST /fine HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n",
           "GET /fine HTTP/1.1\r\nHost x\r\n\r\n",
       }) {
    const auto answer = rawExchange(port_, head + "abcd");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << head << " -> " << answer.substr(0, 80);
  }
}

TEST_F(HandlerErrorsTest, GetOnlyRoutesRefuseOtherMethodsWith405) {
  EXPECT_TRUE(get("/read-only").starts_with("HTTP/1.1 200"));
  const auto head = rawExchange(port_, "HEAD /read-only HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200"));
  for (const std::string method : {"POST", "DELETE", "PUT"}) {
    const auto answer = rawExchange(
        port_, method + " /read-only HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 405")) << method;
    EXPECT_NE(answer.find("Allow: GET, HEAD"), std::string::npos) << answer;
  }
}

}  // namespace
