#include "voice/http_stream.hpp"

#include "common/http_client.hpp"
#include "voice/tls_context.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <optional>

namespace convox::voice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Target = common::HttpTarget;

template <typename Stream>
class Exchange final : public HttpStream, public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  Exchange(asio::io_context& io, Target target, HttpStreamRequest request, HttpStreamHandlers handlers,
           std::shared_ptr<asio::ssl::context> tls)
      : io_(io),
        tls_(std::move(tls)),
        resolver_(io),
        stream_(makeStream(io, tls_)),
        target_(std::move(target)),
        connectTimeout_(request.connectTimeout),
        idleTimeout_(request.idleTimeout),
        refuse_(std::move(request.refuse)),
        handlers_(std::move(handlers)) {
    req_ = {http::verb::post, target_.path, 11};
    req_.set(http::field::host, target_.hostField);
    req_.set(http::field::user_agent, "convox");
    for (auto& [name, value] : request.headers) req_.set(name, value);
    req_.body() = std::move(request.body);
    req_.prepare_payload();
    req_.keep_alive(false);
  }

  void start() {
    deadline_ = std::chrono::steady_clock::now() + connectTimeout_;
    if constexpr (kTls) {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), target_.host.c_str())) {
        return finish("cannot set TLS server name");
      }
      stream_.set_verify_callback(asio::ssl::host_name_verification(target_.host));
    }
    resolver_.async_resolve(target_.host, target_.port,
                            [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (self->cancelled_) return;
                              if (ec) return self->fail("resolve", ec);
                              self->connect(r);
                            });
  }

  void cancel() override {
    if (cancelled_) return;
    cancelled_ = true;
    resolver_.cancel();
    beast::error_code ignored;
    tcp().socket().close(ignored);
    // Released later: cancel() may run inside one of them.
    asio::post(io_, [h = std::move(handlers_)] {});
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  auto& tcp() { return beast::get_lowest_layer(stream_); }

  static Stream makeStream(asio::io_context& io, const std::shared_ptr<asio::ssl::context>& tls) {
    if constexpr (kTls) {
      return Stream(io, *tls);
    } else {
      return Stream(io);
    }
  }

  void connect(const tcp::resolver::results_type& resolved) {
    auto [endpoints, refusal] = common::allowedEndpoints(resolved, target_.host, refuse_);
    if (endpoints.empty()) return finish(refusal.empty() ? "resolve: no addresses" : refusal);
    tcp().expires_at(deadline_);
    tcp().async_connect(endpoints, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (self->cancelled_) return;
      if (ec) return self->fail("connect", ec);
      if constexpr (kTls) {
        self->tcp().expires_at(self->deadline_);
        self->stream_.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code hec) {
          if (self->cancelled_) return;
          if (hec) return self->fail("TLS handshake", hec);
          self->write();
        });
      } else {
        self->write();
      }
    });
  }

  void write() {
    tcp().expires_at(deadline_);
    http::async_write(stream_, req_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (self->cancelled_) return;
      if (ec) return self->fail("write", ec);
      self->tcp().expires_at(self->deadline_);
      http::async_read_header(self->stream_, self->buffer_, self->parser_, [self](beast::error_code rec, size_t) {
        if (self->cancelled_) return;
        if (rec) return self->fail("read header", rec);
        if (auto onHeader = self->handlers_.onHeader) {
          for (const auto& field : self->parser_.get()) onHeader(field.name_string(), field.value());
        }
        if (self->cancelled_) return;
        auto onStatus = self->handlers_.onStatus;
        if (onStatus) onStatus(self->parser_.get().result_int());
        if (self->cancelled_) return;
        self->readSome();
      });
    });
  }

  void readSome() {
    if (parser_.is_done()) return finish("");
    auto& body = parser_.get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    tcp().expires_after(idleTimeout_);
    http::async_read_some(stream_, buffer_, parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (self->cancelled_) return;
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = self->chunk_.size() - self->parser_.get().body().size;
      if (got > 0) {
        auto onBody = self->handlers_.onBody;
        if (onBody) onBody(std::string_view(self->chunk_.data(), got));
        if (self->cancelled_) return;
      }
      if (ec) return self->fail("read", ec);
      self->readSome();
    });
  }

  void fail(const char* step, const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      const bool body = parser_.is_header_done();
      const auto ms = (body ? idleTimeout_ : connectTimeout_).count();
      return finish(body ? "timeout: no data for " + std::to_string(ms) + " ms"
                         : "timeout: no response within " + std::to_string(ms) + " ms");
    }
    const bool reading = std::string_view(step).starts_with("read");
    if (reading && (ec == http::error::partial_message || ec == http::error::end_of_stream || ec == asio::error::eof)) {
      return finish(std::string(step) + ": the connection closed before the response ended");
    }
    finish(std::string(step) + ": " + ec.message());
  }

  void finish(const std::string& error) {
    cancelled_ = true;
    beast::error_code ignored;
    tcp().socket().close(ignored);
    auto handlers = std::move(handlers_);
    if (handlers.onEnd) handlers.onEnd(error);
  }

  // Passed by argument.
  asio::io_context& io_;
  // Allocated by this.
  std::shared_ptr<asio::ssl::context> tls_;  // before stream_, which refers to it
  tcp::resolver resolver_;
  Stream stream_;
  Target target_;
  std::chrono::milliseconds connectTimeout_;
  std::chrono::milliseconds idleTimeout_;
  common::AddressFilter refuse_;
  HttpStreamHandlers handlers_;
  http::request<http::string_body> req_;
  std::chrono::steady_clock::time_point deadline_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 16384> chunk_{};
  bool cancelled_ = false;
};

// Cancelling an invalid request's posted error.
class FailedStream final : public HttpStream {
 public:
  void cancel() override { *cancelled_ = true; }
  std::shared_ptr<bool> cancelled_ = std::make_shared<bool>(false);
};

}  // namespace

std::shared_ptr<HttpStream> startHttpStream(asio::io_context& io, HttpStreamRequest request,
                                            HttpStreamHandlers handlers) {
  std::string error;
  auto target = common::parseHttpTarget(request.url, error);
  std::shared_ptr<asio::ssl::context> tls;
  if (target && target->tls) tls = clientTlsContext(request.caFile, error);
  if (!target || (target->tls && !tls)) {
    auto failed = std::make_shared<FailedStream>();
    asio::post(io, [cancelled = failed->cancelled_, onEnd = std::move(handlers.onEnd), error] {
      if (!*cancelled && onEnd) onEnd(error);
    });
    return failed;
  }
  if (target->tls) {
    auto s = std::make_shared<Exchange<beast::ssl_stream<beast::tcp_stream>>>(
        io, std::move(*target), std::move(request), std::move(handlers), std::move(tls));
    s->start();
    return s;
  }
  auto s = std::make_shared<Exchange<beast::tcp_stream>>(io, std::move(*target), std::move(request),
                                                         std::move(handlers), nullptr);
  s->start();
  return s;
}

}  // namespace convox::voice
