#pragma once

// The TLS client context a provider connection verifies its server with:
// the system's CAs, plus a PEM file of extra CAs for a self-hosted server
// behind a private CA. Shared by the streamed HTTP requests and the
// WebSocket client so both trust the same certificates.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace convox::voice {

// The system CAs' context is shared by every connection; one with `caFile`
// is the caller's own. nullptr with `error` if the file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> clientTlsContext(const std::string& caFile, std::string& error);

}  // namespace convox::voice
