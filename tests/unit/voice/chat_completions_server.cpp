#include "chat_completions_server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <functional>
#include <memory>

namespace convox::voice::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

ChatCompletionsServer::ChatCompletionsServer(asio::io_context& io, std::vector<ServerStep> steps, AfterScript after,
                                             bool readRequest, asio::ssl::context* tls)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      socket_(io),
      timer_(io),
      steps_(std::move(steps)),
      after_(after),
      tls_(tls != nullptr) {
  acceptor_.async_accept(socket_, [this, readRequest, tls](boost::system::error_code ec) {
    if (ec) return;
    socket_.set_option(tcp::no_delay(true));
    auto begin = [this, readRequest] {
      if (readRequest) {
        this->readRequest();
      } else {
        nextStep();
      }
    };
    if (!tls) return begin();
    tlsStream_.emplace(socket_, *tls);
    tlsStream_->async_handshake(asio::ssl::stream_base::server, [begin](boost::system::error_code hec) {
      if (!hec) begin();
    });
  });
}

std::string ChatCompletionsServer::baseUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
         "/v1";
}

void ChatCompletionsServer::readRequest() {
  withStream([this](auto& stream) { readRequestFrom(stream); });
}

template <typename Stream>
void ChatCompletionsServer::readRequestFrom(Stream& stream) {
  asio::async_read_until(stream, buffer_, "\r\n\r\n", [this, &stream](boost::system::error_code ec, size_t headBytes) {
    if (ec) return;
    const std::string all(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
    const std::string head = all.substr(0, headBytes);
    size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (auto at = head.find(name); at != std::string::npos) length = std::stoul(head.substr(at + 16));
    }
    const size_t have = all.size() - headBytes;
    const size_t missing = length > have ? length - have : 0;
    asio::async_read(stream, buffer_, asio::transfer_exactly(missing), [this](boost::system::error_code rec, size_t) {
      if (rec) return;
      request_.assign(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
      nextStep();
    });
  });
}

void ChatCompletionsServer::nextStep() {
  if (next_ == steps_.size()) {
    if (after_ == AfterScript::kClose) {
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
      return;
    }
    // Hold: notice when the client gives up and closes.
    withStream([this](auto& stream) {
      stream.async_read_some(asio::buffer(sink_), [this](boost::system::error_code ec, size_t) {
        if (ec) {
          clientClosed_ = true;
          return;
        }
        nextStep();
      });
    });
    return;
  }
  timer_.expires_after(steps_[next_].pauseBefore);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    withStream([this](auto& stream) {
      asio::async_write(stream, asio::buffer(steps_[next_].bytes), [this](boost::system::error_code wec, size_t) {
        if (wec) {
          clientClosed_ = true;
          return;
        }
        ++next_;
        nextStep();
      });
    });
  });
}

std::string sseEvent(std::string_view payload) { return "data: " + std::string(payload) + "\n\n"; }

std::string httpChunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return std::string(size) + std::string(bytes) + "\r\n";
}

std::string eventStreamHead() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
         "Transfer-Encoding: chunked\r\n\r\n";
}

std::string jsonResponse(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

namespace {

std::string pemOf(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  write(bio.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<size_t>(size)};
}

}  // namespace

TestCertificate makeLoopbackCertificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return {pemOf([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }),
          pemOf([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); })};
}

}  // namespace convox::voice::testing
