// ControlApiClient::readConversation: what a re-dispatched job reads before
// it speaks. The job token goes with both reads; an API that is down or
// stalls gives an error within the timeout (the call then starts fresh).
// And postUsage: an estimated quantity is posted marked as one.

#include "control_api_client.hpp"

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <boost/json/parse.hpp>

#include <atomic>
#include <cctype>
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
        const size_t headBytes = asio::read_until(*socket, buffer, "\r\n\r\n", ec);
        if (ec) continue;
        // The body too, when the request has one (the head, then its Content-Length bytes).
        const size_t total = headBytes + contentLength(buffer, headBytes);
        if (buffer.size() < total) asio::read(*socket, buffer, asio::transfer_exactly(total - buffer.size()), ec);
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
  static size_t contentLength(const asio::streambuf& buffer, size_t headBytes) {
    std::string head(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + headBytes);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = head.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 17));
  }

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

// Review of issue 14: a reply cut by barge-in has its tokens estimated; the
// record says so, and a measured one of the same unit goes apart, unmarked.
TEST(ControlApiUsage, AnEstimatedQuantityIsPostedMarkedAndAMeasuredOneIsNot) {
  TinyApi api([](const std::string&) {
    const std::string body = R"({"stored": true})";
    return "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  });
  asio::io_context io;
  ControlApiClient client(io, api.url(), "job.token.here", "conv_1");
  client.postUsage("llm", "openai", "gpt-4o-mini", "output_tokens", 11, true);
  client.postUsage("llm", "openai", "gpt-4o-mini", "output_tokens", 2);
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (client.delivered() < 2 && std::chrono::steady_clock::now() < until) io.run_for(10ms);
  ASSERT_EQ(client.delivered(), 2U);
  ASSERT_EQ(api.requests_.size(), 2U);
  std::vector<boost::json::object> bodies;
  for (const auto& request : api.requests_) {
    EXPECT_EQ(request.rfind("POST /v1/conversations/conv_1/usage ", 0), 0U) << request;
    bodies.push_back(boost::json::parse(request.substr(request.find("\r\n\r\n") + 4)).as_object());
  }
  EXPECT_EQ(bodies[0].at("estimated"), true);
  EXPECT_EQ(bodies[0].at("quantity").to_number<double>(), 11);
  EXPECT_EQ(bodies[1].if_contains("estimated"), nullptr);  // measured: the API's default
  EXPECT_EQ(bodies[1].at("quantity").to_number<double>(), 2);
  EXPECT_NE(bodies[0].at("usage_id"), bodies[1].at("usage_id"));
}

}  // namespace
}  // namespace convox::worker
