#include "http_test_server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace convox::voice::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string ReceivedRequest::requestLine() const { return head.substr(0, head.find("\r\n")); }

std::string ReceivedRequest::header(std::string_view name) const {
  const std::string lowHead = lower(head);
  const std::string key = "\r\n" + lower(name) + ":";
  const size_t at = lowHead.find(key);
  if (at == std::string::npos) return "";
  size_t begin = at + key.size();
  while (begin < head.size() && head[begin] == ' ') ++begin;
  return head.substr(begin, head.find("\r\n", begin) - begin);
}

bool ReceivedRequest::hasFormField(std::string_view name) const {
  return body.find("name=\"" + std::string(name) + "\"") != std::string::npos;
}

std::string ReceivedRequest::formField(std::string_view name) const {
  const size_t at = body.find("name=\"" + std::string(name) + "\"");
  if (at == std::string::npos) return "";
  const size_t begin = body.find("\r\n\r\n", at);
  if (begin == std::string::npos) return "";
  const size_t end = body.find("\r\n--", begin + 4);
  return body.substr(begin + 4, end == std::string::npos ? std::string::npos : end - begin - 4);
}

class HttpTestServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpTestServer& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void start() {
    if (!server_.tls_) return readRequest();
    tls_.emplace(socket_, *server_.tls_);
    tls_->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->readRequest();
    });
  }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  template <typename F>
  void withStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void readRequest() {
    withStream([this](auto& stream) {
      asio::async_read_until(
          stream, buffer_, "\r\n\r\n",
          [this, self = shared_from_this(), &stream](boost::system::error_code ec, size_t n) {
            if (ec) return closedByClient(ec);
            ReceivedRequest request;
            request.head.assign(asio::buffers_begin(buffer_.data()),
                                asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(n));
            buffer_.consume(n);
            const std::string length = request.header("content-length");
            const size_t want = length.empty() ? 0 : std::stoul(length);
            const size_t missing = want > buffer_.size() ? want - buffer_.size() : 0;
            asio::async_read(
                stream, buffer_, asio::transfer_exactly(missing),
                [this, self, want, request = std::move(request)](boost::system::error_code rec, size_t) mutable {
                  if (rec) return closedByClient(rec);
                  request.body.assign(asio::buffers_begin(buffer_.data()),
                                      asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(want));
                  buffer_.consume(want);
                  server_.requests_.push_back(request);
                  reply_ = server_.respond_(request);
                  next_ = 0;
                  nextStep();
                });
          });
    });
  }

  void nextStep() {
    if (next_ == reply_.steps.size()) {
      switch (reply_.after) {
        case AfterReply::kKeepAlive:
          return readRequest();
        case AfterReply::kClose:
          return close();
        case AfterReply::kHold:
          return hold();
      }
    }
    timer_.expires_after(reply_.steps[next_].pauseBefore);
    timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (next_ == 0) server_.replyStarts_.push_back(std::chrono::steady_clock::now());
      withStream([this, self](auto& stream) {
        asio::async_write(stream, asio::buffer(reply_.steps[next_].bytes),
                          [this, self](boost::system::error_code wec, size_t) {
                            if (wec) return closedByClient(wec);
                            ++next_;
                            nextStep();
                          });
      });
    });
  }

  void hold() {
    withStream([this](auto& stream) {
      stream.async_read_some(asio::buffer(sink_),
                             [this, self = shared_from_this()](boost::system::error_code ec, size_t) {
                               if (ec) return closedByClient(ec);
                               hold();
                             });
    });
  }

  void closedByClient(const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) server_.clientClosed_ = true;
  }

  HttpTestServer& server_;
  tcp::socket socket_;
  std::optional<asio::ssl::stream<tcp::socket&>> tls_;
  asio::steady_timer timer_;
  asio::streambuf buffer_;
  ScriptedReply reply_;
  size_t next_ = 0;
  std::array<char, 512> sink_{};
};

HttpTestServer::HttpTestServer(asio::io_context& io, Responder respond, asio::ssl::context* tls)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), respond_(std::move(respond)), tls_(tls) {
  accept();
}

HttpTestServer::~HttpTestServer() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& weak : open_) {
    if (auto c = weak.lock()) c->close();
  }
}

void HttpTestServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    ++connections_;
    socket.set_option(tcp::no_delay(true));
    auto c = std::make_shared<Connection>(*this, std::move(socket));
    open_.push_back(c);
    c->start();
    accept();
  });
}

std::string HttpTestServer::baseUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
         "/v1";
}

std::string httpResponse(int status, std::string_view reason, std::string_view contentType, std::string_view body,
                         std::string_view extraHeaders) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: " + std::string(contentType) + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + std::string(extraHeaders) + "\r\n" + std::string(body);
}

std::string chunkedHead(std::string_view contentType) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(contentType) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
}

}  // namespace convox::voice::testing
