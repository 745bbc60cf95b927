// convox-rtc-echo: a WebRTC echo peer for tests of rtc/ (not the SFU).
//   POST /offer[?srtp=gcm|aescm]  body: SDP offer  -> SDP answer (ICE-lite, all candidates)
//   GET  /stats                   -> JSON: per session state, SRTP profile, measured tone
//   GET  /<file>                  -> static files from --page-dir (the browser test page)
#include "common/http_server.hpp"
#include "common/logging.hpp"
#include "echo_session.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

using namespace convox;

namespace {

std::vector<rtc::SrtpProfile> profilesFor(const std::string& srtp) {
  if (srtp == "gcm") return {rtc::SrtpProfile::AeadAes128Gcm};
  if (srtp == "aescm") return {rtc::SrtpProfile::Aes128CmHmacSha1_80};
  return {rtc::SrtpProfile::AeadAes128Gcm, rtc::SrtpProfile::Aes128CmHmacSha1_80};
}

// Runs `fn` on the loop thread and waits for its result.
template <typename F>
auto onLoop(rtc::EventLoop& loop, F fn) {
  std::promise<decltype(fn())> done;
  auto result = done.get_future();
  loop.post([&] { done.set_value(fn()); });
  return result.get();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convox-rtc-echo: WebRTC echo peer for rtc/ tests"};
  std::string bind = "127.0.0.1";
  uint16_t port = 0;
  std::string pageDir = ".";
  std::vector<std::string> iceAddresses;
  app.add_option("--bind", bind, "HTTP address");
  app.add_option("--port", port, "HTTP port (0 = any)");
  app.add_option("--page-dir", pageDir, "directory of static files");
  app.add_option("--ice-address", iceAddresses, "local address(es) for ICE")->required();
  CLI11_PARSE(app, argc, argv);
  common::initLogging("info", common::LogFormat::Text);

  std::string error;
  auto certificate = rtc::DtlsCertificate::generate(error);
  if (!certificate) {
    std::cerr << "rtc-echo: " << error << "\n";
    return 1;
  }
  rtc::EventLoop loop;
  std::thread media([&] { loop.run(); });
  std::vector<std::unique_ptr<tools::EchoSession>> sessions;  // loop thread only

  common::HttpRouter router;
  router.exact("/offer", [&](const common::HttpRequest& req) {
    std::promise<std::pair<bool, std::string>> answer;
    auto future = answer.get_future();
    tools::EchoOptions options{iceAddresses, profilesFor(common::queryParameter(req, "srtp").value_or("")),
                               common::queryParameter(req, "mode").value_or("") == "forward"};
    loop.post([&, offer = req.body(), options] {
      sessions.push_back(std::make_unique<tools::EchoSession>(loop, certificate, options));
      sessions.back()->start(offer, [&answer](bool ok, std::string text) { answer.set_value({ok, std::move(text)}); });
    });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return common::makeResponse(req, common::http::status::gateway_timeout, "no answer within 10 s\n");
    }
    auto [ok, text] = future.get();
    return common::makeResponse(req, ok ? common::http::status::ok : common::http::status::bad_request, text,
                                ok ? "application/sdp" : "text/plain");
  });
  router.exact("/stats", [&](const common::HttpRequest& req) {
    const auto json = onLoop(loop, [&] {
      std::ostringstream s;
      s << "[";
      for (size_t i = 0; i < sessions.size(); ++i) {
        s << (i ? "," : "") << R"({"state":")" << rtc::describe(sessions[i]->state()) << R"(","srtp":")"
          << sessions[i]->srtpProfileName() << R"(","frequency":)" << sessions[i]->measuredFrequency() << "}";
      }
      s << "]";
      return s.str();
    });
    return common::makeResponse(req, common::http::status::ok, json, "application/json");
  });
  router.prefix("/", [&](const common::HttpRequest& req) {
    std::string path(req.target().substr(0, req.target().find('?')));
    if (path == "/") path = "/index.html";
    if (path.find("..") != std::string::npos) return common::makeResponse(req, common::http::status::bad_request, "");
    std::ifstream in(pageDir + path);
    if (!in) return common::makeResponse(req, common::http::status::not_found, "not found\n");
    std::ostringstream body;
    body << in.rdbuf();
    const bool js = path.ends_with(".js");
    return common::makeResponse(req, common::http::status::ok, body.str(),
                                js ? "text/javascript" : "text/html; charset=utf-8");
  });

  boost::asio::io_context io;
  common::HttpServer server(io, std::move(router), {});
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    io.stop();
  });
  server.listen(bind, port);
  std::cout << "rtc-echo listening on " << bind << ":" << server.port() << std::endl;
  io.run();
  loop.post([&] { sessions.clear(); });
  loop.stop();
  media.join();
  return 0;
}
