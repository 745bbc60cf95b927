#pragma once

// A small asynchronous HTTP(S) client for outgoing requests (webhooks).

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace convox::common {

struct HttpClientResult {
  unsigned status = 0;  // 0 if no response was received
  std::string error;    // why there was no response
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// POSTs `body` to `url` (http:// or https://, certificate verified against
// the system's CAs). `done` runs on `io`'s thread.
void httpPost(boost::asio::io_context& io, const std::string& url, HttpHeaders headers, std::string body,
              std::chrono::milliseconds timeout, std::function<void(HttpClientResult)> done);

}  // namespace convox::common
