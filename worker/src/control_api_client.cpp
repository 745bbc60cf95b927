#include "control_api_client.hpp"

#include "common/http_client.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace convox::worker {

namespace {
constexpr std::chrono::milliseconds kTimeout{5000};
constexpr std::chrono::milliseconds kFirstRetry{500};
constexpr std::chrono::milliseconds kMaxRetry{10000};
}  // namespace

ControlApiClient::ControlApiClient(boost::asio::io_context& io, std::string baseUrl, std::string token,
                                   std::string conversationId)
    : io_(io),
      baseUrl_(std::move(baseUrl)),
      token_(std::move(token)),
      conversationId_(std::move(conversationId)),
      retry_(io) {}

ControlApiClient::~ControlApiClient() { *alive_ = false; }

void ControlApiClient::postStatus(const std::string& status, const std::string& endReason, const std::string& error,
                                  const boost::json::object& results) {
  boost::json::object body{{"status", status}};
  if (!results.empty()) body["results"] = results;
  if (!endReason.empty()) body["end_reason"] = endReason;
  if (!error.empty()) body["error"] = error;
  enqueue("/status", boost::json::serialize(body));
}

void ControlApiClient::postTurn(boost::json::object turn) { enqueue("/turns", boost::json::serialize(turn)); }

namespace {

using JsonBody = boost::system::result<boost::json::value, std::string>;

JsonBody failed(std::string why) { return JsonBody(boost::system::in_place_error, std::move(why)); }

// The JSON body of a 200 response, or why there is none.
JsonBody jsonBody(const common::HttpClientResult& result, const std::string& what) {
  if (result.status == 0) return failed(what + ": " + result.error);
  if (result.status != 200) {
    return failed(what + ": HTTP " + std::to_string(result.status) + ": " + result.body.substr(0, 300));
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(result.body, ec);
  if (ec) return failed(what + ": the body is not JSON: " + ec.message());
  return JsonBody(boost::system::in_place_value, std::move(value));
}

}  // namespace

void ControlApiClient::readConversation(std::chrono::milliseconds timeout, ReadDone done) {
  const std::string path = "/v1/conversations/" + conversationId_;
  const common::HttpHeaders headers{{"Authorization", "Bearer " + token_}};
  std::weak_ptr<bool> alive = alive_;
  common::httpRequest(
      io_, "GET", baseUrl_ + path, headers, {}, timeout,
      [this, alive, path, headers, timeout, done = std::move(done)](common::HttpClientResult result) mutable {
        if (alive.expired()) return;
        auto conversation = jsonBody(result, "GET " + path);
        if (!conversation) return done(conversation.error());
        common::httpRequest(io_, "GET", baseUrl_ + path + "/turns", headers, {}, timeout,
                            [alive, path, conversation = std::move(*conversation),
                             done = std::move(done)](common::HttpClientResult turnsResult) {
                              if (alive.expired()) return;
                              auto turns = jsonBody(turnsResult, "GET " + path + "/turns");
                              if (!turns) return done(turns.error());
                              done(conversationSoFar(conversation, *turns));
                            });
      });
}

void ControlApiClient::readCredentials(std::chrono::milliseconds timeout, CredentialsDone done) {
  const std::string path = "/v1/conversations/" + conversationId_ + "/provider-credentials";
  const common::HttpHeaders headers{{"Authorization", "Bearer " + token_}};
  std::weak_ptr<bool> alive = alive_;
  common::httpRequest(io_, "GET", baseUrl_ + path, headers, {}, timeout,
                      [alive, path, done = std::move(done)](common::HttpClientResult result) {
                        if (alive.expired()) return;
                        auto body = jsonBody(result, "GET " + path);
                        if (!body) return done(body.error());
                        std::vector<TeamCredential> out;
                        const auto* list = body->is_object() ? body->get_object().if_contains("credentials") : nullptr;
                        if (list == nullptr || !list->is_array()) return done(std::string("no credentials list"));
                        const auto text = [](const boost::json::object& o, const char* key) {
                          const auto* v = o.if_contains(key);
                          return v && v->is_string() ? std::string(v->get_string()) : std::string();
                        };
                        for (const auto& item : list->get_array()) {
                          if (!item.is_object()) continue;
                          const auto& o = item.get_object();
                          out.push_back({text(o, "provider"), text(o, "api_key"), text(o, "base_url")});
                        }
                        done(std::move(out));
                      });
}

void ControlApiClient::postUsage(const std::string& stage, const std::string& provider, const std::string& model,
                                 const std::string& unit, double quantity, bool estimated) {
  std::string name = provider.substr(0, 64);
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '-';
  }
  boost::json::object body{{"usage_id", common::newId("us_")},
                           {"stage", stage},
                           {"provider", name.empty() ? "unknown" : name},
                           {"unit", unit},
                           {"quantity", quantity},
                           {"recorded_at", common::unixMillis()}};
  if (!model.empty()) body["model"] = model.substr(0, 128);
  if (estimated) body["estimated"] = true;  // left out when measured: the API's default
  enqueue("/usage", boost::json::serialize(body));
}

void ControlApiClient::enqueue(std::string path, std::string body) {
  if (queue_.size() >= kMaxQueued) {
    // The oldest goes: a long outage keeps the latest state.
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back({"/v1/conversations/" + conversationId_ + path, std::move(body), 0});
  sendNext();
}

void ControlApiClient::sendNext() {
  if (inFlight_ || queue_.empty()) return;
  inFlight_ = true;
  auto& post = queue_.front();
  ++post.attempts;
  std::weak_ptr<bool> alive = alive_;
  common::httpRequest(
      io_, "POST", baseUrl_ + post.path, {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}},
      post.body, kTimeout, [this, alive](common::HttpClientResult result) {
        if (alive.expired()) return;
        inFlight_ = false;
        auto& sent = queue_.front();
        if (result.status >= 200 && result.status < 300) {
          ++delivered_;
          queue_.pop_front();
          return sendNext();
        }
        if (result.status >= 400 && result.status < 500 && result.status != 429) {
          // Refused for what it is: retrying cannot help.
          common::logger("worker")->warn("control API refused {} ({}): {}", sent.path, result.status,
                                         result.body.substr(0, 300));
          ++dropped_;
          queue_.pop_front();
          return sendNext();
        }
        const auto wait = std::min(kMaxRetry, kFirstRetry * (1 << std::min(sent.attempts - 1, 5)));
        common::logger("worker")->debug("control API {}: {} — retry in {} ms", sent.path,
                                        result.status ? std::to_string(result.status) : result.error, wait.count());
        retry_.expires_after(wait);
        retry_.async_wait([this, alive](const boost::system::error_code& ec) {
          if (!ec && !alive.expired()) sendNext();
        });
      });
}

}  // namespace convox::worker
