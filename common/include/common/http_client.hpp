#pragma once

// A small asynchronous HTTP(S) client for outgoing requests (webhooks, the
// worker's calls to the control API).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::common {

struct HttpClientResult {
  unsigned status = 0;  // 0 if no response was received
  std::string error;    // why there was no response
  std::string body;
  bool refused = false;  // every address was refused by the AddressFilter: retrying will not help
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// An http:// or https:// URL as a request needs it.
struct HttpTarget {
  bool tls = false;
  std::string host;       // as resolved: an IPv6 literal without its brackets
  std::string hostField;  // as the Host header carries it
  std::string port;
  std::string path;  // the path and query, "/" when empty
};

// nullopt with `error` for anything but an http(s) URL.
std::optional<HttpTarget> parseHttpTarget(const std::string& url, std::string& error);

// Decides whether a resolved address may be connected to: nullopt allows it,
// a reason refuses it. It is applied to the addresses the connect then uses,
// so a name cannot be re-pointed between the check and the connection.
using AddressFilter = std::function<std::optional<std::string>(const boost::asio::ip::address&)>;

// The resolved endpoints `refuse` allows (all of them without one), and why
// the first refused one was refused ("refused: <host> is <address>, <reason>").
struct AllowedEndpoints {
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  std::string refusal;
};
AllowedEndpoints allowedEndpoints(const boost::asio::ip::tcp::resolver::results_type& resolved, const std::string& host,
                                  const AddressFilter& refuse);

// POSTs `body` to `url` (http:// or https://, certificate verified against
// the system's CAs). `done` runs on `io`'s thread. With `refuse`, addresses
// it objects to are skipped; if none is left the request fails with the reason.
void httpPost(boost::asio::io_context& io, const std::string& url, HttpHeaders headers, std::string body,
              std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done, AddressFilter refuse = {});

// Any method ("GET", "POST", "PUT", ...); an empty body on a GET sends no
// Content-Length. Otherwise as httpPost.
void httpRequest(boost::asio::io_context& io, std::string_view method, const std::string& url, HttpHeaders headers,
                 std::string body, std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done,
                 AddressFilter refuse = {});

}  // namespace convox::common
