#include "voice/tls_context.hpp"

namespace convox::voice {

namespace ssl = boost::asio::ssl;

namespace {

std::shared_ptr<ssl::context> newTlsContext() {
  auto c = std::make_shared<ssl::context>(ssl::context::tls_client);
  c->set_default_verify_paths();
  c->set_verify_mode(ssl::verify_peer);
  return c;
}

}  // namespace

std::shared_ptr<ssl::context> clientTlsContext(const std::string& caFile, std::string& error) {
  static const auto kSystem = newTlsContext();
  if (caFile.empty()) return kSystem;
  auto c = newTlsContext();
  boost::system::error_code ec;
  c->load_verify_file(caFile, ec);
  if (ec) {
    error = "cannot load the CA file " + caFile + ": " + ec.message();
    return nullptr;
  }
  return c;
}

}  // namespace convox::voice
