#include "control_api/webhook_sender.hpp"

#include "common/address_policy.hpp"
#include "common/digest.hpp"
#include "common/http_client.hpp"
#include "common/ids.hpp"
#include "common/io_runner.hpp"
#include "common/logging.hpp"
#include "webhook_secrets.hpp"
#include "webhook_targets.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <thread>

namespace convox::control_api {

namespace asio = boost::asio;
namespace json = boost::json;

std::string webhookSignature(const std::string& secret, int64_t unixSeconds, const std::string& body) {
  const std::string signed_ = std::to_string(unixSeconds) + "." + body;
  return "t=" + std::to_string(unixSeconds) + ",v1=" + common::hexEncode(common::hmacSha256(secret, signed_));
}

namespace {

struct Delivery {
  std::string teamId;
  WebhookDeliveryRecord record;  // attempt and outcome filled per try
  std::string secret;
  std::string body;
  uint32_t attempt = 0;
};

json::array transcriptJson(const std::vector<TurnRecord>& turns) {
  json::array out;
  for (const auto& t : turns) {
    out.push_back({{"role", t.role}, {"text", t.text}, {"started_at", t.startedAt}, {"interrupted", t.interrupted}});
  }
  return out;
}

// "scheme://host[:port]" of a URL, without user info, path or query.
std::string originOf(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "(an invalid URL)";
  std::string out = std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
  return out;
}

}  // namespace

class WebhookSender::Impl {
 public:
  Impl(Repository& repository, WebhookDeliverySettings settings, std::optional<SecretBox> secrets)
      : repository_(repository), settings_(settings), secrets_(secrets), work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] { common::runCatchingExceptions(io_, "webhooks"); });
  }
  ~Impl() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void conversationChanged(const std::string& teamId, const ConversationRecord& after) {
    // Reading the agent and transcript happens on the delivery thread too.
    asio::post(io_, [this, teamId, after] {
      try {
        enqueueEvents(teamId, after);
      } catch (const std::exception& e) {
        common::logger("webhooks")->error("cannot prepare webhooks for {}: {}", after.id, e.what());
      }
    });
  }

 private:
  void enqueueEvents(const std::string& teamId, const ConversationRecord& c) {
    std::vector<std::string> events;
    if (c.status == "in_progress") events = {"call.started"};
    if (c.status == "ended" || c.status == "failed") events = {"call.ended", "transcript.ready"};
    if (events.empty()) return;
    const auto agent = repository_.getAgent(teamId, c.agentId);
    if (!agent) return;
    const auto targets = webhookTargetsOf(json::parse(agent->configJson).as_object());
    std::optional<json::array> transcript;
    for (const auto& event : events) {
      for (const auto& target : targets) {
        if (std::find(target.events.begin(), target.events.end(), event) == target.events.end()) continue;
        json::object payload{
            {"event", event},        {"id", common::newId("EV_")}, {"created_at", common::unixMillis()},
            {"agent_id", c.agentId}, {"conversation_id", c.id},    {"trace_id", c.traceId},
            {"status", c.status}};
        if (event != "call.started" && target.includeTranscript) {
          if (!transcript) transcript = transcriptJson(repository_.listTurns(teamId, c.id));
          payload["transcript"] = {{"turns", *transcript}};
        }
        auto delivery = std::make_shared<Delivery>();
        delivery->teamId = teamId;
        delivery->record.id = common::newId("WD_");
        delivery->record.conversationId = c.id;
        delivery->record.event = event;
        delivery->record.url = target.url;
        delivery->body = json::serialize(payload);
        auto secret =
            openWebhookSecret(target.secret, secrets_ ? &*secrets_ : nullptr, webhookSecretContext(teamId, c.agentId));
        if (!secret) {
          // Never sent unsigned in its place: the receiver would take it for forged.
          notSent(delivery, "the webhook secret cannot be read: " + secret.error());
          continue;
        }
        delivery->secret = std::move(*secret);
        attempt(delivery);
      }
    }
  }

  void attempt(const std::shared_ptr<Delivery>& d) {
    ++d->attempt;
    common::HttpHeaders headers{
        {"Content-Type", "application/json"}, {"Convox-Event", d->record.event}, {"Convox-Delivery", d->record.id}};
    // A target without a secret (the seed's webhook form without `secret`)
    // gets no signature: an HMAC under an empty key would prove nothing.
    if (!d->secret.empty()) {
      headers.emplace_back("Convox-Signature", webhookSignature(d->secret, common::unixSeconds(), d->body));
    }
    common::AddressFilter refuse;
    if (!settings_.allowPrivateNetworks) {
      refuse = [](const boost::asio::ip::address& a) -> std::optional<std::string> {
        const auto kind = common::nonPublicAddressKind(a);
        if (!kind) return std::nullopt;
        return "a " + std::string(*kind) + " address (agent_webhooks.allow_private_networks is off)";
      };
    }
    common::httpPost(
        io_, d->record.url, std::move(headers), d->body, settings_.requestTimeout,
        [this, d](common::HttpClientResult result) { finished(d, std::move(result)); }, std::move(refuse));
  }

  // Written to the delivery log and the server's log as a refusal is.
  void notSent(const std::shared_ptr<Delivery>& d, const std::string& reason) {
    common::HttpClientResult result;
    result.error = reason;
    result.refused = true;  // not retried: nothing will change by the next attempt
    d->attempt = 1;
    finished(d, std::move(result));
  }

  void finished(const std::shared_ptr<Delivery>& d, common::HttpClientResult result) {
    const bool ok = result.status >= 200 && result.status < 300;
    auto record = d->record;
    record.attempt = d->attempt;
    record.statusCode = result.status ? std::optional<int64_t>(result.status) : std::nullopt;
    record.error =
        ok ? std::nullopt
           : std::optional<std::string>(result.error.empty() ? "HTTP " + std::to_string(result.status) : result.error);
    record.delivered = ok;
    record.createdAt = common::unixMillis();
    try {
      repository_.recordDelivery(d->teamId, record);
    } catch (const std::exception& e) {
      common::logger("webhooks")->error("cannot log webhook delivery {}: {}", record.id, e.what());
    }
    if (result.refused) {
      // Once per delivery (a refusal is not retried). The reason names the
      // host and the address; the URL is reduced to its origin so no
      // credentials or query tokens reach the log.
      common::logger("webhooks")
          ->warn("webhook {} for conversation {} to {} not sent: {}", record.event, record.conversationId,
                 originOf(record.url), result.error);
    }
    if (ok || result.refused || d->attempt >= settings_.maxAttempts) return;
    auto timer =
        std::make_shared<asio::steady_timer>(io_, settings_.firstRetry * (1u << std::min(d->attempt - 1, 10u)));
    timer->async_wait([this, d, timer](const boost::system::error_code& ec) {
      if (!ec) attempt(d);
    });
  }

  Repository& repository_;
  WebhookDeliverySettings settings_;
  std::optional<SecretBox> secrets_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

WebhookSender::WebhookSender(Repository& repository, WebhookDeliverySettings settings, std::optional<SecretBox> secrets)
    : impl_(std::make_unique<Impl>(repository, settings, secrets)) {}
WebhookSender::~WebhookSender() = default;

void WebhookSender::conversationChanged(const std::string& teamId, const ConversationRecord& after) {
  impl_->conversationChanged(teamId, after);
}

}  // namespace convox::control_api
