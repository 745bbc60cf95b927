#pragma once

// One streamed HTTP(S) request: the response body is handed over piece by
// piece as it arrives, which common::httpRequest (it buffers the whole body)
// cannot do. Kept here rather than in common/ because only a streaming model
// needs it so far; it follows common's client (Beast, system CAs, SNI).
//
// Timeouts: `connectTimeout` covers resolve, connect, TLS, the request and
// the response header; `idleTimeout` each wait for the next body bytes (a
// stalled stream). Everything runs on the io_context given.

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

struct HttpStreamRequest {
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POSTed
  std::chrono::milliseconds connectTimeout{10000};
  std::chrono::milliseconds idleTimeout{10000};
  std::string caFile;  // PEM CAs trusted besides the system's (a self-hosted server's private CA)
  // Addresses it objects to are not connected to (checked on the resolved
  // addresses the connect uses); none left: the request fails with its reason.
  common::AddressFilter refuse;
};

struct HttpStreamHandlers {
  // Each response header field (e.g. retry-after on a 429), before onStatus.
  std::function<void(std::string_view name, std::string_view value)> onHeader;
  std::function<void(unsigned status)> onStatus;       // once, when the header arrived
  std::function<void(std::string_view bytes)> onBody;  // body bytes, chunked encoding removed
  // Once, last: "" when the body ended as HTTP says it ends; otherwise why
  // not ("timeout: no data for 10000 ms", "read: end of stream", ...).
  std::function<void(const std::string& error)> onEnd;
};

class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Closes the connection; no handler runs afterwards.
  virtual void cancel() = 0;
};

// Starts the request; the handlers run on `io`'s thread (also an invalid
// URL's error, posted).
std::shared_ptr<HttpStream> startHttpStream(boost::asio::io_context& io, HttpStreamRequest request,
                                            HttpStreamHandlers handlers);

}  // namespace convox::voice
