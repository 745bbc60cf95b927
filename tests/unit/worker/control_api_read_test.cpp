// ControlApiClient::readConversation: what a re-dispatched job reads before
// it speaks. The job token goes with both reads; an API that is down or
// stalls gives an error within the timeout (the call then starts fresh).

#include "control_api_client.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <thread>

namespace convox::worker {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

using ReadResult = boost::system::result<ConversationSoFar, std::string>;

// Answers each connection's one request from `answer(request head)`; an empty answer stalls it.
class TinyApi {
 public:
  explicit TinyApi(std::function<std::string(const std::string&)> answer)
      : answer_(std::move(answer)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      while (!stopping_) {
        auto socket = std::make_shared<tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*socket, ec);
        if (ec || stopping_) return;
        asio::streambuf buffer;
        asio::read_until(*socket, buffer, "\r\n\r\n", ec);
        if (ec) continue;
        const std::string head(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
        requests_.push_back(head);
        const auto body = answer_(head);
        if (body.empty()) {
          stalled_.push_back(socket);  // kept open, never answered
          continue;
        }
        asio::write(*socket, asio::buffer(body), ec);
      }
    });
  }
  ~TinyApi() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes the blocking accept
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  std::vector<std::string> requests_;

 private:
  std::function<std::string(const std::string&)> answer_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> stalled_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string ok(const std::string& json) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
         "\r\nConnection: close\r\n\r\n" + json;
}

std::optional<ReadResult> read(const std::string& url, std::chrono::milliseconds timeout) {
  asio::io_context io;
  ControlApiClient client(io, url, "job.token.here", "conv_1");
  std::optional<ReadResult> out;
  client.readConversation(timeout, [&](ReadResult r) { out = std::move(r); });
  io.run_for(20s);
  return out;
}

TEST(ControlApiRead, ReadsTheConversationAndItsTurnsWithTheJobToken) {
  TinyApi api([](const std::string& head) {
    if (head.rfind("GET /v1/conversations/conv_1/turns ", 0) == 0) {
      return ok(R"({"turns": [{"turn_id": "a1_x", "role": "agent", "text": "Hi."},
                              {"turn_id": "u2_y", "role": "user", "text": "book an appointment"}]})");
    }
    if (head.rfind("GET /v1/conversations/conv_1 ", 0) == 0) {
      return ok(R"({"id": "conv_1", "status": "in_progress", "results": {"wants_appointment": true}})");
    }
    return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  const auto result = read(api.url(), 2000ms);
  ASSERT_TRUE(result);
  ASSERT_TRUE(*result) << result->error();
  EXPECT_EQ((*result)->turnsStored, 2U);
  EXPECT_EQ((*result)->unanswered, "book an appointment");
  EXPECT_EQ((*result)->results.at("wants_appointment"), true);
  ASSERT_EQ(api.requests_.size(), 2U);
  for (const auto& head : api.requests_) {
    EXPECT_NE(head.find("Authorization: Bearer job.token.here"), std::string::npos) << head;
  }
}

TEST(ControlApiRead, ARefusalIsAnErrorWithTheStatus) {
  TinyApi api([](const std::string&) {
    const std::string body = R"({"error": {"code": "not_found"}})";
    return "HTTP/1.1 404 Not Found\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  });
  const auto result = read(api.url(), 2000ms);
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_NE(result->error().find("HTTP 404"), std::string::npos) << result->error();
  EXPECT_NE(result->error().find("/v1/conversations/conv_1"), std::string::npos) << result->error();
}

TEST(ControlApiRead, AnApiThatIsDownOrStallsGivesUpWithinTheTimeout) {
  std::string downUrl;
  {
    asio::io_context io;
    tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    downUrl = "http://127.0.0.1:" + std::to_string(closed.local_endpoint().port());
  }  // nothing listens there now
  auto result = read(downUrl, 300ms);
  ASSERT_TRUE(result) << "no answer at all";
  EXPECT_FALSE(*result);

  TinyApi stalled([](const std::string&) { return std::string(); });
  const auto started = std::chrono::steady_clock::now();
  result = read(stalled.url(), 300ms);
  ASSERT_TRUE(result) << "no answer at all";
  ASSERT_FALSE(*result);
  EXPECT_FALSE(result->error().empty());
  // Bounded: the read ends with its timeout, long before the io_context's 20 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

}  // namespace
}  // namespace convox::worker
