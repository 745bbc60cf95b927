#include "sfu/webhook_notifier.hpp"

#include "common/base64.hpp"
#include "common/digest.hpp"
#include "common/http_client.hpp"
#include "common/ids.hpp"
#include "common/io_runner.hpp"
#include "common/jwt.hpp"
#include "common/logging.hpp"
#include "proto/livekit_webhook.pb.h"

#include <google/protobuf/util/json_util.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <thread>

namespace convox::sfu {

namespace asio = boost::asio;

// Owns the delivery thread and one ordered queue per URL.
class WebhookNotifier::Sender {
 public:
  Sender(common::WebhookSettings settings, std::string secret, prometheus::Registry& metrics)
      : settings_(std::move(settings)),
        secret_(std::move(secret)),
        work_(asio::make_work_guard(io_)),
        deliveries_(&prometheus::BuildCounter()
                         .Name("convox_webhook_deliveries_total")
                         .Help("Webhook delivery attempts by result")
                         .Register(metrics)) {
    for (const auto& url : settings_.urls) targets_.push_back(std::make_unique<Target>(io_, url));
    thread_ = std::thread([this] { common::runCatchingExceptions(io_, "webhooks"); });
  }

  ~Sender() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void submit(std::string body) {
    asio::post(io_, [this, body = std::move(body)] {
      for (auto& t : targets_) {
        t->queue.push_back(body);
        if (!t->busy) deliver(*t);
      }
    });
  }

 private:
  struct Target {
    Target(asio::io_context& io, std::string u) : url(std::move(u)), retryTimer(io) {}
    std::string url;
    std::deque<std::string> queue;
    uint32_t attempt = 0;
    bool busy = false;
    asio::steady_timer retryTimer;
  };

  std::string authorization(const std::string& body) const {
    const auto now = common::unixSeconds();
    boost::json::object claims{{"iss", settings_.apiKey},
                               {"nbf", now},
                               {"iat", now},
                               {"exp", now + 300},
                               {"sha256", common::base64Encode(common::sha256(body))}};
    return common::signJwt(claims, secret_);
  }

  void deliver(Target& t) {
    if (t.queue.empty()) {
      t.busy = false;
      return;
    }
    t.busy = true;
    const auto& body = t.queue.front();
    common::HttpHeaders headers{{"Content-Type", "application/webhook+json"},
                                {"Authorization", authorization(body)},
                                {"User-Agent", "LiveKit"}};
    common::httpPost(io_, t.url, std::move(headers), body, std::chrono::milliseconds(settings_.requestTimeoutMillis),
                     [this, &t](common::HttpClientResult result) { onResult(t, result); });
  }

  void onResult(Target& t, const common::HttpClientResult& result) {
    const bool ok = result.status >= 200 && result.status < 300;
    if (ok || ++t.attempt >= settings_.maxAttempts) {
      if (!ok) {
        common::logger("webhook")->error("giving up on {} after {} attempts: {}", t.url, t.attempt, failure(result));
      }
      deliveries_->Add({{"result", ok ? "ok" : "failed"}}).Increment();
      t.queue.pop_front();
      t.attempt = 0;
      deliver(t);
      return;
    }
    deliveries_->Add({{"result", "retry"}}).Increment();
    const auto delay = std::chrono::milliseconds(uint64_t{settings_.firstRetryMillis} << std::min(t.attempt - 1, 10u));
    common::logger("webhook")->warn("{} failed ({}), retry {} in {} ms", t.url, failure(result), t.attempt,
                                    delay.count());
    t.retryTimer.expires_after(delay);
    t.retryTimer.async_wait([this, &t](const boost::system::error_code& ec) {
      if (!ec) deliver(t);
    });
  }

  static std::string failure(const common::HttpClientResult& r) {
    return r.status ? "HTTP " + std::to_string(r.status) : r.error;
  }

  common::WebhookSettings settings_;
  std::string secret_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<Target>> targets_;
  prometheus::Family<prometheus::Counter>* deliveries_;
  std::thread thread_;
};

WebhookNotifier::WebhookNotifier(common::WebhookSettings settings, std::string apiSecret, prometheus::Registry& metrics)
    : sender_(std::make_unique<Sender>(std::move(settings), std::move(apiSecret), metrics)) {}

WebhookNotifier::~WebhookNotifier() = default;

void WebhookNotifier::publish(const std::string& event, const livekit::Room& room,
                              const livekit::ParticipantInfo* participant, livekit::RoomEndReason reason,
                              const livekit::TrackInfo* track) {
  livekit::WebhookEvent ev;
  ev.set_event(event);
  *ev.mutable_room() = room;
  if (participant) *ev.mutable_participant() = *participant;
  if (track) *ev.mutable_track() = *track;
  ev.set_id(common::newId("EV_"));
  ev.set_created_at(common::unixSeconds());
  ev.set_room_end_reason(reason);
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(ev, &body);  // camelCase, defaults omitted, as LiveKit sends
  sender_->submit(std::move(body));
}

void WebhookNotifier::onRoomStarted(const livekit::Room& room) { publish("room_started", room, nullptr); }

void WebhookNotifier::onRoomFinished(const livekit::Room& room, livekit::RoomEndReason reason) {
  publish("room_finished", room, nullptr, reason);
}

void WebhookNotifier::onParticipantJoined(const livekit::Room& room, const livekit::ParticipantInfo& p) {
  publish("participant_joined", room, &p);
}

void WebhookNotifier::onParticipantLeft(const livekit::Room& room, const livekit::ParticipantInfo& p) {
  publish("participant_left", room, &p);
}

void WebhookNotifier::onTrackPublished(const livekit::Room& room, const livekit::ParticipantInfo& p,
                                       const livekit::TrackInfo& track) {
  publish("track_published", room, &p, livekit::ROOM_END_UNKNOWN, &track);
}

void WebhookNotifier::onTrackUnpublished(const livekit::Room& room, const livekit::ParticipantInfo& p,
                                         const livekit::TrackInfo& track) {
  publish("track_unpublished", room, &p, livekit::ROOM_END_UNKNOWN, &track);
}

}  // namespace convox::sfu
