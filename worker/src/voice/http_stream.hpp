#pragma once

// One streamed HTTP(S) request: the response body is handed over piece by
// piece as it arrives, which common::httpRequest (it buffers the whole body)
// cannot do. Kept here rather than in common/ because only the worker's
// provider clients need it.
//
// Built on libcurl's multi interface, driven by the io_context given (its
// sockets and timer are asio's; nothing blocks the thread). The issue asks
// for one well-kept HTTP library instead of growing our own client: libcurl
// brings TLS with the system's CAs, HTTP/2 where the server offers it,
// keep-alive connection reuse, proxies from the environment (http_proxy,
// https_proxy, no_proxy) and a DNS cache. One connection pool per
// io_context (each media thread has one), so a provider's connection is
// reused across requests, turns and calls on that thread. Redirects are not
// followed.
//
// Timeouts: `connectTimeout` covers resolve, connect, TLS, the request and
// the response header; `idleTimeout` each wait for the next body bytes (a
// stalled stream).

#include "common/http_client.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace convox::voice {

enum class HttpMethod { kPost, kGet, kHead };

// One part of a multipart/form-data body (a file upload): `filename` set
// makes it a file part.
struct HttpFormPart {
  std::string name;
  std::string data;
  std::string filename;     // "" = a plain field
  std::string contentType;  // "" = curl's default for the part
};

struct HttpStreamRequest {
  std::string url;  // http:// or https://
  HttpMethod method = HttpMethod::kPost;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                // POSTed as is (ignored when `form` has parts)
  std::vector<HttpFormPart> form;  // non-empty: POSTed as multipart/form-data
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds idleTimeout{10000};
  std::string caFile;  // PEM CAs trusted besides the system's (a self-hosted server's private CA)
  // Addresses it objects to are not connected to (checked on the address
  // each connection is opened to, and again on a reused connection's); none
  // left: the request fails with its reason.
  common::AddressFilter refuse;
};

// The status line and headers of the response (names lower-case, in order).
struct HttpResponseHead {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header `name` (lower-case), "" if none.
  std::string_view header(std::string_view name) const;
};

struct HttpStreamHandlers {
  std::function<void(unsigned status)> onStatus;  // once, when the header arrived
  // Once, right after onStatus, with the response headers (retry-after,
  // request ids, a provider's error header). Optional.
  std::function<void(const HttpResponseHead& head)> onHead;
  std::function<void(std::string_view bytes)> onBody;  // body bytes, chunked encoding removed
  // Once, last: "" when the body ended as HTTP says it ends; otherwise why
  // not ("timeout: no data for 10000 ms", "read: the connection closed
  // before the response ended", "connect: ...", "TLS handshake: ...").
  std::function<void(const std::string& error)> onEnd;
};

class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Abandons the request at once (its connection is closed if the response
  // was not complete); no handler runs afterwards.
  virtual void cancel() = 0;
};

// Starts the request; the handlers run on `io`'s thread, never inside
// startHttpStream (an invalid URL's error is posted too).
std::shared_ptr<HttpStream> startHttpStream(boost::asio::io_context& io, HttpStreamRequest request,
                                            HttpStreamHandlers handlers);

// Opens a connection to `url`'s origin in advance (a HEAD request whose
// connection then stays in `io`'s pool), so the first real request of a call
// does not pay for DNS, TCP and TLS. Errors are ignored: the real request
// reports its own. `caFile` and `refuse` as in HttpStreamRequest.
void warmHttpConnection(boost::asio::io_context& io, const std::string& url, const std::string& caFile = {},
                        common::AddressFilter refuse = {});

}  // namespace convox::voice
