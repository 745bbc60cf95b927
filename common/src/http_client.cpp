#include "common/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace convox::common {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
};

std::optional<Target> parseTarget(const std::string& url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "invalid URL";
    return std::nullopt;
  }
  Target t;
  const auto scheme = parsed->scheme();
  if (scheme == "https") t.tls = true;
  else if (scheme != "http") {
    error = "URL scheme must be http or https";
    return std::nullopt;
  }
  t.host = parsed->host();
  t.port = parsed->has_port() ? std::string(parsed->port()) : (t.tls ? "443" : "80");
  t.path = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
  return t;
}

asio::ssl::context& tlsContext() {
  static asio::ssl::context ctx = [] {
    asio::ssl::context c(asio::ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  return ctx;
}

template <typename Stream>
asio::awaitable<HttpClientResult> exchange(Stream& stream, http::request<http::string_body>& req) {
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  co_return HttpClientResult{parser.get().result_int(), {}, parser.get().body()};
}

asio::awaitable<HttpClientResult> post(Target target, HttpHeaders headers, std::string body,
                                       std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  http::request<http::string_body> req{http::verb::post, target.path, 11};
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "convox");
  for (auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(false);

  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(target.host, target.port, asio::use_awaitable);
  if (!target.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await exchange(stream, req);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, tlsContext());
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str())) {
    co_return HttpClientResult{0, "cannot set TLS server name", {}};
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(target.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_return co_await exchange(stream, req);
}

}  // namespace

void httpPost(asio::io_context& io, const std::string& url, HttpHeaders headers, std::string body,
              std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done) {
  std::string error;
  auto target = parseTarget(url, error);
  if (!target) {
    asio::post(io, [done = std::move(done), error] { done({0, error, {}}); });
    return;
  }
  asio::co_spawn(io, post(std::move(*target), std::move(headers), std::move(body), timeout),
                 [done = std::move(done)](std::exception_ptr ex, HttpClientResult result) {
                   if (ex) {
                     try {
                       std::rethrow_exception(ex);
                     } catch (const std::exception& e) {
                       result = {0, e.what(), {}};
                     }
                   }
                   done(std::move(result));
                 });
}

}  // namespace convox::common
