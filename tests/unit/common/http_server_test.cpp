// HttpServer routes whose handlers run on a blocking-work pool: while such a
// handler is stuck, the io_context thread keeps serving other requests and
// WebSockets; per-connection order, keep-alive, error mapping, the body limit
// and shutdown with work in flight still behave.
#include "common/http_server.hpp"
#include "echo_socket.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <future>
#include <optional>
#include <thread>
#include <vector>

using namespace convox::common;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

// Generous: only a broken server (a stalled io_context thread) gets near it,
// and then the exchange fails instead of hanging the test.
constexpr auto kGiveUp = std::chrono::seconds(20);

HttpRequest request(http::verb method, const std::string& target, std::string body = {}) {
  HttpRequest req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// Sends `requests` one after another on one connection and returns the
// responses read; an error (timeout, closed connection) ends the list early.
std::vector<HttpResponse> exchange(uint16_t port, std::vector<HttpRequest> requests) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  std::vector<HttpResponse> responses;
  beast::flat_buffer buffer;
  std::function<void(size_t)> next = [&](size_t i) {
    if (i == requests.size()) return;
    stream.expires_after(kGiveUp);
    http::async_write(stream, requests[i], [&, i](beast::error_code ec, size_t) {
      if (ec) return;
      auto res = std::make_shared<HttpResponse>();
      http::async_read(stream, buffer, *res, [&, i, res](beast::error_code readEc, size_t) {
        if (readEc) return;
        responses.push_back(std::move(*res));
        next(i + 1);
      });
    });
  };
  stream.expires_after(kGiveUp);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    if (!ec) next(0);
  });
  io.run();
  return responses;
}

// Opens a WebSocket, sends `text` and returns what comes back ("" on failure).
std::string webSocketRoundTrip(uint16_t port, const std::string& text) {
  asio::io_context io;
  beast::websocket::stream<beast::tcp_stream> ws(io);
  beast::websocket::stream_base::timeout timeouts{kGiveUp, kGiveUp, false};
  ws.set_option(timeouts);
  beast::flat_buffer buffer;
  std::string received;
  ws.next_layer().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
    if (ec) return;
    ws.async_handshake("127.0.0.1", "/ws", [&](beast::error_code hsEc) {
      if (hsEc) return;
      ws.async_write(asio::buffer(text), [&](beast::error_code writeEc, size_t) {
        if (writeEc) return;
        ws.async_read(buffer, [&](beast::error_code readEc, size_t) {
          if (readEc) return;
          received = beast::buffers_to_string(buffer.data());
          ws.async_close(beast::websocket::close_code::normal, [](beast::error_code) {});
        });
      });
    });
  });
  io.run();
  return received;
}

class BlockingRouteTest : public ::testing::Test {
 protected:
  BlockingRouteTest() {
    HttpRouter router;
    // Blocks its pool thread until the test releases it.
    router.prefix(
        "/slow/",
        [this](const HttpRequest& req) {
          slowEntered_.set_value();
          release_.wait();
          return makeResponse(req, http::status::ok, "slow done");
        },
        pool_.get_executor());
    router.prefix(
        "/echo/", [](const HttpRequest& req) { return makeResponse(req, http::status::ok, std::string(req.target())); },
        pool_.get_executor());
    router.prefix(
        "/throws/", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("store exploded"); },
        pool_.get_executor());
    router.exact("/fast", [](const HttpRequest& req) { return makeResponse(req, http::status::ok, "fast"); });
    router.upgrade("/ws", [](const HttpRequest&) {
      return UpgradeDecision{{}, std::make_shared<convox::testing::EchoSocket>()};
    });
    HttpServerLimits limits;
    limits.maxBodyBytes = 1024;
    server_.emplace(*io_, std::move(router), limits);
    server_->listen("127.0.0.1", 0);
    port_ = server_->port();
    ioThread_ = std::thread([this] { io_->run(); });
  }

  ~BlockingRouteTest() override {
    releaseSlowHandler();
    stopServer();
  }

  // The order a real server shuts down in: the loop stops, then the pool is
  // joined, then the server and io_context go.
  void stopServer() {
    if (!io_) return;
    work_.reset();
    io_->stop();
    if (ioThread_.joinable()) ioThread_.join();
    pool_.stop();
    pool_.join();
    server_.reset();
    io_.reset();  // closes the sockets that dropped work still held
  }

  void releaseSlowHandler() {
    if (!released_) releasePromise_.set_value();
    released_ = true;
  }

  std::unique_ptr<asio::io_context> io_ = std::make_unique<asio::io_context>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{asio::make_work_guard(*io_)};
  asio::thread_pool pool_{2};
  std::optional<HttpServer> server_;
  std::thread ioThread_;
  uint16_t port_ = 0;
  std::promise<void> slowEntered_;
  std::promise<void> releasePromise_;
  std::shared_future<void> release_ = releasePromise_.get_future().share();
  bool released_ = false;
};

TEST_F(BlockingRouteTest, StuckPoolHandlerDoesNotStallPlainRoutesOrWebSockets) {
  auto entered = slowEntered_.get_future();
  auto slow =
      std::async(std::launch::async, [this] { return exchange(port_, {request(http::verb::get, "/slow/one")}); });
  ASSERT_EQ(entered.wait_for(kGiveUp), std::future_status::ready);

  // The slow handler is still blocked (it waits for the release below), so
  // these answers can only come from an io_context thread it does not hold.
  const auto fast = exchange(port_, {request(http::verb::get, "/fast")});
  ASSERT_EQ(fast.size(), 1u);
  EXPECT_EQ(fast[0].body(), "fast");
  EXPECT_EQ(webSocketRoundTrip(port_, "hello"), "hello");
  const auto pooled = exchange(port_, {request(http::verb::get, "/echo/while-blocked")});
  ASSERT_EQ(pooled.size(), 1u);  // the pool's second thread serves it
  EXPECT_EQ(pooled[0].body(), "/echo/while-blocked");
  EXPECT_EQ(slow.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  releaseSlowHandler();
  const auto slowResponses = slow.get();
  ASSERT_EQ(slowResponses.size(), 1u);
  EXPECT_EQ(slowResponses[0].result(), http::status::ok);
  EXPECT_EQ(slowResponses[0].body(), "slow done");
}

TEST_F(BlockingRouteTest, KeepAliveAnswersInOrderAndThrowsBecome500) {
  const auto responses = exchange(port_, {request(http::verb::get, "/echo/1"), request(http::verb::get, "/throws/x"),
                                          request(http::verb::get, "/fast"), request(http::verb::get, "/echo/2")});
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].body(), "/echo/1");
  EXPECT_EQ(responses[1].result(), http::status::internal_server_error);
  EXPECT_EQ(responses[1].body(), "internal error\n");
  EXPECT_EQ(responses[2].body(), "fast");
  EXPECT_EQ(responses[3].body(), "/echo/2");
}

TEST_F(BlockingRouteTest, OversizedBodyIsRefusedBeforeThePool) {
  const auto responses = exchange(port_, {request(http::verb::post, "/echo/big", std::string(4096, 'x'))});
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result(), http::status::payload_too_large);
}

TEST_F(BlockingRouteTest, ShutdownWithAHandlerInFlightLeavesNothingBehind) {
  auto entered = slowEntered_.get_future();
  auto slow =
      std::async(std::launch::async, [this] { return exchange(port_, {request(http::verb::get, "/slow/two")}); });
  ASSERT_EQ(entered.wait_for(kGiveUp), std::future_status::ready);
  work_.reset();
  io_->stop();
  ioThread_.join();
  // The handler finishes after the loop stopped: its response has nowhere to
  // go, and the session it holds is freed with the io_context (ASan checks).
  releaseSlowHandler();
  stopServer();
  EXPECT_TRUE(slow.get().empty());
}

}  // namespace
