#pragma once

// A local HTTP/1.1 server on loopback for the provider clients' tests, in
// the test's own io_context. Unlike ChatCompletionsServer (one connection,
// one request) it accepts any number of connections and keeps them alive
// between requests, so a test can count the TCP connections a client opens
// (connection reuse, warm-up). Each request is answered by the test's
// responder with raw bytes written as scripted (each step its own write,
// after an optional pause): where chunks split, when the stream stalls and
// when the connection closes are the test's to choose.

#include "chat_completions_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace convox::voice::testing {

struct ReceivedRequest {
  std::string head;  // request line and headers, as received
  std::string body;
  std::string requestLine() const;                  // "POST /v1/audio/speech HTTP/1.1"
  std::string header(std::string_view name) const;  // case-insensitive; "" if absent
  // A multipart/form-data field's content ("" if absent).
  std::string formField(std::string_view name) const;
  bool hasFormField(std::string_view name) const;
};

enum class AfterReply { kKeepAlive, kClose, kHold };  // hold: send nothing more, never close (a stall)

struct ScriptedReply {
  std::vector<ServerStep> steps;
  AfterReply after = AfterReply::kKeepAlive;
};

class HttpTestServer {
 public:
  using Responder = std::function<ScriptedReply(const ReceivedRequest&)>;
  HttpTestServer(boost::asio::io_context& io, Responder respond, boost::asio::ssl::context* tls = nullptr);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  std::string baseUrl() const;  // http(s)://127.0.0.1:<port>/v1
  int connections() const { return connections_; }
  const std::vector<ReceivedRequest>& requests() const { return requests_; }
  bool clientClosed() const { return clientClosed_; }  // a client closed a connection the server still had open
  // When the first write of each reply started (latency measurements).
  const std::vector<std::chrono::steady_clock::time_point>& replyStarts() const { return replyStarts_; }

 private:
  class Connection;
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  Responder respond_;
  boost::asio::ssl::context* tls_;
  int connections_ = 0;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::chrono::steady_clock::time_point> replyStarts_;
  bool clientClosed_ = false;
  std::vector<std::weak_ptr<Connection>> open_;
};

// An HTTP/1.1 response head with Content-Length and the body.
std::string httpResponse(int status, std::string_view reason, std::string_view contentType, std::string_view body,
                         std::string_view extraHeaders = {});
// The head of a chunked 200 response of `contentType`.
std::string chunkedHead(std::string_view contentType);

}  // namespace convox::voice::testing
