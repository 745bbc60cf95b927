// HttpStream over libcurl's multi interface, against a local keep-alive
// server that counts the TCP connections it accepts.
#include "voice/http_stream.hpp"

#include "http_test_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>

namespace convox::voice {
namespace {

using std::chrono::milliseconds;
using testing::AfterReply;
using testing::HttpTestServer;
using testing::ReceivedRequest;
using testing::ScriptedReply;

struct Result {
  unsigned status = 0;
  HttpResponseHead head;
  std::string body;
  std::optional<std::string> error;  // set once onEnd ran
  int ends = 0;
};

ScriptedReply okJson(std::string_view body = R"({"ok":true})") {
  return {{{testing::httpResponse(200, "OK", "application/json", body, "X-Request-Id: req_1\r\n")}}};
}

class HttpStreamTest : public ::testing::Test {
 protected:
  HttpStreamHandlers handlersInto(Result& r, bool stop = true) {
    HttpStreamHandlers h;
    h.onStatus = [&r](unsigned s) { r.status = s; };
    h.onHead = [&r](const HttpResponseHead& head) { r.head = head; };
    h.onBody = [&r](std::string_view b) { r.body += b; };
    h.onEnd = [&r, stop, this](const std::string& e) {
      r.error = e;
      ++r.ends;
      if (stop) io_.stop();
    };
    return h;
  }

  HttpStreamRequest requestTo(const std::string& url) {
    HttpStreamRequest req;
    req.url = url;
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-secret"}};
    req.body = R"({"q":1})";
    req.connectTimeout = milliseconds(3000);
    req.idleTimeout = milliseconds(3000);
    return req;
  }

  Result fetch(HttpStreamRequest req) {
    Result r;
    auto stream = startHttpStream(io_, std::move(req), handlersInto(r));
    io_.restart();
    io_.run_for(milliseconds(10000));
    return r;
  }

  boost::asio::io_context io_;
};

TEST_F(HttpStreamTest, TwoSequentialRequestsShareOneConnection) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return okJson(); });
  auto first = fetch(requestTo(server.baseUrl() + "/a"));
  auto second = fetch(requestTo(server.baseUrl() + "/b"));
  EXPECT_EQ(first.error.value_or("not done"), "");
  EXPECT_EQ(second.error.value_or("not done"), "");
  EXPECT_EQ(second.status, 200U);
  EXPECT_EQ(second.body, R"({"ok":true})");
  EXPECT_EQ(second.head.header("x-request-id"), "req_1");
  EXPECT_EQ(second.head.header("content-type"), "application/json");
  ASSERT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.requests()[0].requestLine(), "POST /v1/a HTTP/1.1");
  EXPECT_EQ(server.requests()[1].requestLine(), "POST /v1/b HTTP/1.1");
  EXPECT_EQ(server.requests()[1].header("authorization"), "Bearer sk-secret");
  EXPECT_EQ(server.requests()[1].body, R"({"q":1})");
  EXPECT_EQ(server.requests()[1].header("expect"), "");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpStreamTest, WarmOpensTheConnectionTheRequestThenUses) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return okJson(); });
  warmHttpConnection(io_, server.baseUrl());
  io_.run_for(milliseconds(300));  // the HEAD's round trip
  ASSERT_EQ(server.requests().size(), 1U);
  EXPECT_EQ(server.requests()[0].requestLine(), "HEAD /v1 HTTP/1.1");
  EXPECT_EQ(server.connections(), 1);
  auto r = fetch(requestTo(server.baseUrl() + "/audio/speech"));
  EXPECT_EQ(r.error.value_or("not done"), "");
  EXPECT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpStreamTest, MultipartFormAndGet) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return okJson(); });
  auto req = requestTo(server.baseUrl() + "/audio/transcriptions");
  req.headers = {{"Authorization", "Bearer k"}};
  req.form = {{"model", "whisper-1", "", ""}, {"file", std::string("RIFF\0\1\2", 7), "audio.wav", "audio/wav"}};
  auto r = fetch(req);
  EXPECT_EQ(r.error.value_or("not done"), "");
  ASSERT_EQ(server.requests().size(), 1U);
  const auto& got = server.requests()[0];
  EXPECT_NE(got.header("content-type").find("multipart/form-data; boundary="), std::string::npos);
  EXPECT_EQ(got.formField("model"), "whisper-1");
  EXPECT_EQ(got.formField("file"), std::string("RIFF\0\1\2", 7));
  EXPECT_NE(got.body.find(R"(name="file"; filename="audio.wav")"
                          "\r\nContent-Type: audio/wav"),
            std::string::npos);

  auto get = requestTo(server.baseUrl() + "/models");
  get.method = HttpMethod::kGet;
  r = fetch(get);
  EXPECT_EQ(r.error.value_or("not done"), "");
  EXPECT_EQ(server.requests()[1].requestLine(), "GET /v1/models HTTP/1.1");
  EXPECT_EQ(server.requests()[1].body, "");
}

TEST_F(HttpStreamTest, RateLimitHeadersArriveWithTheStatus) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{testing::httpResponse(429, "Too Many Requests", "application/json", R"({"error":{}})",
                                                 "Retry-After: 7\r\n")}}};
  });
  auto r = fetch(requestTo(server.baseUrl()));
  EXPECT_EQ(r.error.value_or("not done"), "");
  EXPECT_EQ(r.status, 429U);
  EXPECT_EQ(r.head.status, 429U);
  EXPECT_EQ(r.head.header("retry-after"), "7");
}

common::AddressFilter refuseLoopback() {
  return [](const boost::asio::ip::address& a) -> std::optional<std::string> {
    if (a.is_loopback()) return "a loopback address";
    return std::nullopt;
  };
}

TEST_F(HttpStreamTest, TheFilterRefusesTheAddressAndTheServerSeesNothing) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return okJson(); });
  auto req = requestTo(server.baseUrl());
  req.refuse = refuseLoopback();
  auto r = fetch(req);
  EXPECT_EQ(r.error.value_or(""), "refused: 127.0.0.1 is 127.0.0.1, a loopback address");
  EXPECT_EQ(server.connections(), 0);
}

// A pooled connection opened by a request without a filter is checked too.
TEST_F(HttpStreamTest, TheFilterAppliesToAReusedConnection) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return okJson(); });
  auto first = fetch(requestTo(server.baseUrl()));
  EXPECT_EQ(first.error.value_or("not done"), "");
  auto req = requestTo(server.baseUrl());
  req.refuse = refuseLoopback();
  auto r = fetch(req);
  EXPECT_EQ(r.error.value_or(""), "refused: 127.0.0.1 is 127.0.0.1, a loopback address");
  EXPECT_EQ(server.requests().size(), 1U);
}

TEST_F(HttpStreamTest, AStalledBodyTimesOut) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{testing::chunkedHead("audio/pcm") + testing::httpChunk("abcd")}}, AfterReply::kHold};
  });
  auto req = requestTo(server.baseUrl());
  req.idleTimeout = milliseconds(200);
  auto r = fetch(req);
  EXPECT_EQ(r.body, "abcd");
  EXPECT_EQ(r.error.value_or(""), "timeout: no data for 200 ms");
  io_.restart();
  io_.run_for(milliseconds(200));
  EXPECT_TRUE(server.clientClosed());
}

TEST_F(HttpStreamTest, NoHeaderTimesOut) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return ScriptedReply{{}, AfterReply::kHold}; });
  auto req = requestTo(server.baseUrl());
  req.connectTimeout = milliseconds(200);
  auto r = fetch(req);
  EXPECT_EQ(r.error.value_or(""), "timeout: no response within 200 ms");
}

TEST_F(HttpStreamTest, ACutStreamIsAnError) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{testing::chunkedHead("audio/pcm") + testing::httpChunk("abcd")}}, AfterReply::kClose};
  });
  auto r = fetch(requestTo(server.baseUrl()));
  EXPECT_EQ(r.body, "abcd");
  EXPECT_EQ(r.error.value_or(""), "read: the connection closed before the response ended");
}

TEST_F(HttpStreamTest, CancelInsideTheBodyHandlerStopsEverything) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{testing::chunkedHead("audio/pcm") + testing::httpChunk("abcd")},
                          {testing::httpChunk("efgh"), milliseconds(50)}},
                         AfterReply::kHold};
  });
  Result r;
  std::shared_ptr<HttpStream> stream;
  auto h = handlersInto(r);
  h.onBody = [&](std::string_view b) {
    r.body += b;
    stream->cancel();
    stream.reset();  // the last owner lets go inside its own callback
  };
  stream = startHttpStream(io_, requestTo(server.baseUrl()), h);
  io_.run_for(milliseconds(400));
  EXPECT_EQ(r.body, "abcd");
  EXPECT_EQ(r.ends, 0);
  EXPECT_TRUE(server.clientClosed());
  // The pool goes on: the next request gets a new connection.
  HttpTestServer other(io_, [](const ReceivedRequest&) { return okJson(); });
  auto next = fetch(requestTo(other.baseUrl()));
  EXPECT_EQ(next.error.value_or("not done"), "");
}

TEST_F(HttpStreamTest, HttpsWithAPrivateCaReusesTheConnection) {
  const auto cert = testing::makeLoopbackCertificate();
  boost::asio::ssl::context serverTls(boost::asio::ssl::context::tls_server);
  serverTls.use_certificate_chain(boost::asio::buffer(cert.certPem));
  serverTls.use_private_key(boost::asio::buffer(cert.keyPem), boost::asio::ssl::context::pem);
  const std::string caFile = ::testing::TempDir() + "convox_http_stream_test_ca.pem";
  std::ofstream(caFile) << cert.certPem;
  HttpTestServer server(
      io_, [](const ReceivedRequest&) { return okJson(); }, &serverTls);

  auto req = requestTo(server.baseUrl());
  req.caFile = caFile;
  auto first = fetch(req);
  auto second = fetch(req);
  EXPECT_EQ(first.error.value_or("not done"), "");
  EXPECT_EQ(second.error.value_or("not done"), "");
  EXPECT_EQ(second.body, R"({"ok":true})");
  EXPECT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.connections(), 1);

  auto untrusted = fetch(requestTo(server.baseUrl()));  // the system CAs alone
  EXPECT_EQ(untrusted.error.value_or("").rfind("TLS handshake: certificate verify failed", 0), 0U)
      << untrusted.error.value_or("");
  EXPECT_EQ(untrusted.error.value_or("").find("sk-secret"), std::string::npos);
}

// Proxies come from the environment, as curl reads it (http_proxy).
TEST_F(HttpStreamTest, AnHttpProxyFromTheEnvironmentCarriesTheRequest) {
  HttpTestServer proxy(io_, [](const ReceivedRequest&) { return okJson(); });
  const std::string proxyUrl = proxy.baseUrl().substr(0, proxy.baseUrl().size() - 3);  // without /v1
  ::setenv("http_proxy", proxyUrl.c_str(), 1);
  auto r = fetch(requestTo("http://provider.invalid/v1/audio/speech"));
  ::unsetenv("http_proxy");
  EXPECT_EQ(r.error.value_or("not done"), "");
  ASSERT_EQ(proxy.requests().size(), 1U);
  EXPECT_EQ(proxy.requests()[0].requestLine(), "POST http://provider.invalid/v1/audio/speech HTTP/1.1");
  EXPECT_EQ(proxy.requests()[0].header("authorization"), "Bearer sk-secret");
}

TEST_F(HttpStreamTest, ABadUrlIsPostedNotCalledInline) {
  Result r;
  auto s = startHttpStream(io_, requestTo("ftp://example.com/"), handlersInto(r));
  EXPECT_EQ(r.ends, 0);
  io_.run_for(milliseconds(1000));
  EXPECT_EQ(r.error.value_or(""), "URL scheme must be http or https");
}

}  // namespace
}  // namespace convox::voice
