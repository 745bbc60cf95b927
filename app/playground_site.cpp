#include "playground_site.hpp"

#include "common/http_client.hpp"
#include "common/logging.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace convox::app {
namespace {

namespace fs = std::filesystem;

struct PlaygroundFile {
  const char* route;
  const char* relativePath;
  const char* contentType;
};

// Everything the page needs; nothing outside this list is served.
constexpr std::array<PlaygroundFile, 4> kFiles{{
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/playground/playground.js", "playground.js", "text/javascript; charset=utf-8"},
    {"/playground/playground.css", "playground.css", "text/css; charset=utf-8"},
    {"/playground/livekit-client.umd.js", "node_modules/livekit-client/dist/livekit-client.umd.js",
     "text/javascript; charset=utf-8"},
}};

std::optional<std::string> readWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool complete(const fs::path& dir) {
  std::error_code ec;
  for (const auto& file : kFiles) {
    if (!fs::is_regular_file(dir / file.relativePath, ec)) return false;
  }
  return true;
}

// --playground-dir, else an installed share/convox/playground beside the
// binary, else the source tree's playground/ (a build run from its checkout).
fs::path findDirectory(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = self.parent_path().parent_path() / "share" / "convox" / "playground";
    if (complete(installed)) return installed;
  }
  return fs::path(CONVOX_SOURCE_DIR) / "playground";
}

// The page talks to this server only (/v1 and the signal WebSocket: CSP's
// 'self' covers ws: on the same host), or to --public-url when that names
// another host; nothing else may receive the key the page holds.
std::string contentSecurityPolicy(const std::string& publicUrl) {
  std::string connect = "'self'";
  std::string url = publicUrl;
  if (url.starts_with("ws://") || url.starts_with("wss://")) url.replace(0, 2, "http");
  std::string error;
  if (auto origin = url.empty() ? std::nullopt : common::parseHttpTarget(url, error)) {
    connect += std::string(origin->tls ? " wss://" : " ws://") + origin->hostField + ":" + origin->port;
  }
  return "default-src 'self'; connect-src " + connect +
         "; media-src 'self' blob: mediastream:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'none'";
}

common::HttpResponse withPageHeaders(common::HttpResponse res, const std::string& policy) {
  res.set("Content-Security-Policy", policy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(common::http::field::cache_control, "no-cache");
  return res;
}

}  // namespace

void mountPlayground(common::HttpRouter& router, const PlaygroundOptions& options) {
  const auto dir = findDirectory(options.dir);
  auto log = common::logger("server");
  if (!complete(dir)) {
    log->warn("no playground at {} (run `npm ci` in playground/, as scripts/run-dev.sh does): / answers OK only",
              dir.string());
    router.exact("/", common::getOnly([](const common::HttpRequest& req) {
                   return common::makeResponse(
                       req, common::http::status::ok,
                       "OK\nThe playground is not installed: run `npm ci` in the playground/ folder of the "
                       "Convox checkout (scripts/run-dev.sh does), or set playground_dir.\n");
                 }));
    return;
  }
  const auto policy = contentSecurityPolicy(options.publicUrl);
  for (const auto& file : kFiles) {
    auto body = readWhole(dir / file.relativePath);
    if (!body) continue;  // checked above; a file removed since is a 404
    auto shared = std::make_shared<const std::string>(std::move(*body));
    router.exact(file.route, common::getOnly([shared, type = std::string(file.contentType),
                                              policy](const common::HttpRequest& req) {
                   return withPageHeaders(common::makeResponse(req, common::http::status::ok, *shared, type), policy);
                 }));
  }
  // What the page cannot know by itself. The dev key is public (the banner
  // prints it, and the store refuses it without --dev); any other key is
  // typed by the user and stays in their browser.
  boost::json::object config;
  config["dev"] = options.dev;
  if (options.dev) config["api_key"] = options.devApiKey;
  config["version"] = options.serverVersion;
  router.exact("/playground/config.json",
               common::getOnly([body = boost::json::serialize(config), policy](const common::HttpRequest& req) {
                 return withPageHeaders(common::makeResponse(req, common::http::status::ok, body, "application/json"),
                                        policy);
               }));
  log->info("playground served from {}", dir.string());
}

}  // namespace convox::app
