#include "common/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <vector>

namespace convox::common {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using Target = HttpTarget;

asio::ssl::context& tlsContext() {
  static asio::ssl::context ctx = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  return ctx;
}

// One request: resolve, connect, (TLS handshake), write, read. Callback
// style rather than coroutines: clang 14 cannot build coroutines under ASan.
template <typename Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>> {
 public:
  template <typename... StreamArgs>
  Exchange(asio::io_context& io, Target target, http::request<http::string_body> req, std::chrono::milliseconds timeout,
           std::function<void(HttpClientResult)> done, AddressFilter refuse, StreamArgs&&... args)
      : resolver_(io),
        stream_(io, std::forward<StreamArgs>(args)...),
        target_(std::move(target)),
        req_(std::move(req)),
        timeout_(timeout),
        done_(std::move(done)),
        refuse_(std::move(refuse)) {
    parser_.body_limit(1 << 20);
  }

  void start() {
    if constexpr (kTls) {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), target_.host.c_str())) {
        return finish({0, "cannot set TLS server name", {}});
      }
      stream_.set_verify_callback(asio::ssl::host_name_verification(target_.host));
    }
    resolver_.async_resolve(target_.host, target_.port,
                            [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->fail("resolve", ec);
                              self->connect(r);
                            });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  auto& tcp() { return beast::get_lowest_layer(stream_); }

  void connect(const tcp::resolver::results_type& resolved) {
    auto [endpoints, refusal] = allowedEndpoints(resolved, target_.host, refuse_);
    if (endpoints.empty())
      return finish({0, refusal.empty() ? "resolve: no addresses" : refusal, {}, !refusal.empty()});
    tcp().expires_after(timeout_);
    tcp().async_connect(endpoints, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail("connect", ec);
      if constexpr (kTls) {
        self->stream_.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code hec) {
          if (hec) return self->fail("TLS handshake", hec);
          self->write();
        });
      } else {
        self->write();
      }
    });
  }

  void write() {
    http::async_write(stream_, req_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->fail("write", ec);
      http::async_read(self->stream_, self->buffer_, self->parser_, [self](beast::error_code rec, size_t) {
        if (rec) return self->fail("read", rec);
        self->finish({self->parser_.get().result_int(), {}, self->parser_.get().body()});
      });
    });
  }

  void fail(const char* step, const beast::error_code& ec) { finish({0, std::string(step) + ": " + ec.message(), {}}); }

  void finish(HttpClientResult result) {
    beast::error_code ignored;
    tcp().socket().close(ignored);
    if (auto done = std::move(done_)) done(std::move(result));
  }

  tcp::resolver resolver_;
  Stream stream_;
  Target target_;
  http::request<http::string_body> req_;
  std::chrono::milliseconds timeout_;
  std::function<void(HttpClientResult)> done_;
  AddressFilter refuse_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

std::optional<HttpTarget> parseHttpTarget(const std::string& url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "invalid URL";
    return std::nullopt;
  }
  HttpTarget t;
  const auto scheme = parsed->scheme();
  if (scheme == "https") {
    t.tls = true;
  } else if (scheme != "http") {
    error = "URL scheme must be http or https";
    return std::nullopt;
  }
  t.host = parsed->host_address();
  t.hostField = parsed->encoded_host();
  t.port = parsed->has_port() ? std::string(parsed->port()) : (t.tls ? "443" : "80");
  t.path = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
  return t;
}

AllowedEndpoints allowedEndpoints(const tcp::resolver::results_type& resolved, const std::string& host,
                                  const AddressFilter& refuse) {
  AllowedEndpoints allowed;
  for (const auto& entry : resolved) {
    const auto reason = refuse ? refuse(entry.endpoint().address()) : std::nullopt;
    if (!reason) {
      allowed.endpoints.push_back(entry.endpoint());
    } else if (allowed.refusal.empty()) {
      allowed.refusal = "refused: " + host + " is " + entry.endpoint().address().to_string() + ", " + *reason;
    }
  }
  return allowed;
}

void httpPost(asio::io_context& io, const std::string& url, HttpHeaders headers, std::string body,
              std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done, AddressFilter refuse) {
  httpRequest(io, "POST", url, std::move(headers), std::move(body), timeout, std::move(done), std::move(refuse));
}

void httpRequest(asio::io_context& io, std::string_view method, const std::string& url, HttpHeaders headers,
                 std::string body, std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done,
                 AddressFilter refuse) {
  const auto verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    asio::post(io, [done = std::move(done), m = std::string(method)] { done({0, "unknown HTTP method " + m, {}}); });
    return;
  }
  std::string error;
  auto target = parseHttpTarget(url, error);
  if (!target) {
    asio::post(io, [done = std::move(done), error] { done({0, error, {}}); });
    return;
  }
  http::request<http::string_body> req{verb, target->path, 11};
  req.set(http::field::host, target->hostField);
  req.set(http::field::user_agent, "convox");
  for (auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  if (verb != http::verb::get || !req.body().empty()) req.prepare_payload();
  req.keep_alive(false);
  if (target->tls) {
    std::make_shared<Exchange<beast::ssl_stream<beast::tcp_stream>>>(io, std::move(*target), std::move(req), timeout,
                                                                     std::move(done), std::move(refuse), tlsContext())
        ->start();
  } else {
    std::make_shared<Exchange<beast::tcp_stream>>(io, std::move(*target), std::move(req), timeout, std::move(done),
                                                  std::move(refuse))
        ->start();
  }
}

}  // namespace convox::common
