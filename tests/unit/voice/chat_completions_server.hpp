#pragma once

// A local stand-in for an OpenAI-compatible server, on loopback in the test's
// own io_context: it reads one request and answers with raw bytes written as
// scripted (each step its own TCP write, after an optional pause), so a test
// controls exactly where chunks and lines are split, when the stream stalls
// and when the connection closes.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice::testing {

struct ServerStep {
  std::string bytes;
  std::chrono::milliseconds pauseBefore{0};
};

enum class AfterScript { kClose, kHold };  // hold: keep the connection open, send nothing (a stall)

class ChatCompletionsServer {
 public:
  // Without `readRequest` the steps start as soon as the client connects.
  // With `tls` it speaks HTTPS (the context holds the server's certificate).
  ChatCompletionsServer(boost::asio::io_context& io, std::vector<ServerStep> steps, AfterScript after,
                        bool readRequest = true, boost::asio::ssl::context* tls = nullptr);

  std::string baseUrl() const;                             // http(s)://127.0.0.1:<port>/v1
  const std::string& request() const { return request_; }  // as received: head and body
  bool clientClosed() const { return clientClosed_; }

 private:
  void readRequest();
  template <typename Stream>
  void readRequestFrom(Stream& stream);
  void nextStep();
  template <typename F>
  void withStream(F&& f) {
    if (tlsStream_) {
      f(*tlsStream_);
    } else {
      f(socket_);
    }
  }

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tlsStream_;
  boost::asio::steady_timer timer_;
  boost::asio::streambuf buffer_;
  std::vector<ServerStep> steps_;
  AfterScript after_;
  bool tls_ = false;
  size_t next_ = 0;
  std::string request_;
  bool clientClosed_ = false;
  std::array<char, 512> sink_{};
};

// Wire helpers: one SSE event "data: <payload>\n\n", HTTP chunked framing,
// and a 200 event-stream response head.
std::string sseEvent(std::string_view payload);
std::string httpChunk(std::string_view bytes);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";
std::string eventStreamHead();
std::string jsonResponse(int status, std::string_view reason, std::string_view body);

// A self-signed certificate for 127.0.0.1 (an IP SAN), PEM.
struct TestCertificate {
  std::string certPem;
  std::string keyPem;
};
TestCertificate makeLoopbackCertificate();

}  // namespace convox::voice::testing
