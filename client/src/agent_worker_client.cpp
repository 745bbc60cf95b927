#include "client/agent_worker_client.hpp"

#include "common/access_token.hpp"
#include "common/ids.hpp"

#include <algorithm>

namespace convox::client {

namespace {

constexpr int64_t kWorkerTokenTtlSeconds = int64_t{6} * 3600;

}  // namespace

AgentWorkerClient::AgentWorkerClient(boost::asio::io_context& io, AgentWorkerListener& listener,
                                     AgentWorkerOptions options)
    : io_(io), listener_(listener), options_(std::move(options)), retryTimer_(io), loadTimer_(io) {
  if (options_.permissions.ByteSizeLong() == 0) {
    options_.permissions.set_can_publish(true);
    options_.permissions.set_can_subscribe(true);
    options_.permissions.set_can_publish_data(true);
    options_.permissions.set_can_update_metadata(true);
    options_.permissions.set_agent(true);
  }
}

AgentWorkerClient::~AgentWorkerClient() {
  *alive_ = false;
  stop();
}

bool AgentWorkerClient::start(std::string& error) {
  auto parsed = parseWebSocketUrl(options_.url);
  if (!parsed) {
    error = parsed.error();
    return false;
  }
  url_ = *parsed;
  stopped_ = false;
  connect();
  return true;
}

std::string AgentWorkerClient::workerToken() const {
  // As @livekit/agents mints it: the agent grant only, no identity.
  common::ClaimGrants grants;
  common::VideoGrant video;
  video.agent = true;
  grants.video = video;
  return common::signAccessToken(grants, options_.apiKey, options_.apiSecret, common::unixSeconds(),
                                 kWorkerTokenTtlSeconds);
}

void AgentWorkerClient::connect() {
  ++attempts_;
  workerId_.clear();
  std::weak_ptr<bool> alive = alive_;
  WebSocketClient::Handlers handlers;
  handlers.onOpen = [this, alive] {
    if (alive.expired()) return;
    livekit::WorkerMessage message;
    auto& reg = *message.mutable_register_();
    reg.set_type(options_.jobType);
    reg.set_agent_name(options_.agentName);
    reg.set_version(options_.version);
    *reg.mutable_allowed_permissions() = options_.permissions;
    send(message);
  };
  handlers.onMessage = [this, alive](std::string_view frame) {
    if (!alive.expired()) onFrame(frame);
  };
  handlers.onClose = [this, alive](const std::string& reason) {
    if (!alive.expired()) onClosed(reason);
  };
  auto socketOptions = options_.socket;
  socketOptions.headers.emplace_back("Authorization", "Bearer " + workerToken());
  socket_ = WebSocketClient::create(io_, url_, socketOptions, std::move(handlers));
  socket_->connect(url_.path + "/agent");
}

void AgentWorkerClient::send(const livekit::WorkerMessage& message) {
  if (socket_) socket_->send(message.SerializeAsString());
}

void AgentWorkerClient::onFrame(std::string_view frame) {
  livekit::ServerMessage message;
  if (!message.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    if (socket_) socket_->close();
    return onClosed("the server sent a frame that is not a ServerMessage");
  }
  if (workerId_.empty()) {
    // The register response comes first; anything else before it is a broken server.
    if (!message.has_register_()) {
      if (socket_) socket_->close();
      return onClosed("expected the register response as the first message");
    }
    workerId_ = message.register_().worker_id();
    failuresInRow_ = 0;
    listener_.onRegistered(workerId_);
    reportLoad();
    return;
  }
  switch (message.message_case()) {
    case livekit::ServerMessage::kAvailability: {
      const auto& request = message.availability();
      livekit::WorkerMessage reply;
      auto& answer = *reply.mutable_availability();
      answer.set_job_id(request.job().id());
      if (!draining_) {
        auto decision = listener_.onAvailability(request);
        answer.set_available(decision.available);
        if (decision.available) {
          answer.set_participant_identity(decision.participantIdentity.empty() ? "agent-" + request.job().id()
                                                                               : decision.participantIdentity);
          answer.set_participant_name(decision.participantName);
          answer.set_participant_metadata(decision.participantMetadata);
          auto& attributes = *answer.mutable_participant_attributes();
          for (const auto& [key, value] : decision.participantAttributes) attributes[key] = value;
          attributes["lk.agent.name"] = options_.agentName;
        }
      }
      send(reply);
      break;
    }
    case livekit::ServerMessage::kAssignment:
      listener_.onAssignment(message.assignment());
      break;
    case livekit::ServerMessage::kTermination:
      listener_.onTermination(message.termination().job_id());
      break;
    default:
      break;  // pong, or a later addition
  }
}

void AgentWorkerClient::onClosed(const std::string& reason) {
  workerId_.clear();
  loadTimer_.cancel();
  socket_.reset();
  if (stopped_) return;
  ++failuresInRow_;
  const auto retryIn =
      std::min<std::chrono::milliseconds>(std::chrono::milliseconds(2000) * failuresInRow_, options_.maxBackoff);
  listener_.onConnectionLost(reason, retryIn);
  retryTimer_.expires_after(retryIn);
  std::weak_ptr<bool> alive = alive_;
  retryTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!ec && !alive.expired() && !stopped_) connect();
  });
}

void AgentWorkerClient::reportLoad() {
  if (workerId_.empty()) return;
  const auto load = listener_.currentLoad();
  livekit::WorkerMessage message;
  auto& update = *message.mutable_update_worker();
  update.set_load(std::clamp(load.load, 0.0f, 1.0f));
  update.set_status(draining_ || load.full ? livekit::WS_FULL : livekit::WS_AVAILABLE);
  update.set_job_count(load.jobCount);
  send(message);
  armLoadTimer();
}

void AgentWorkerClient::armLoadTimer() {
  loadTimer_.expires_after(options_.loadInterval);
  std::weak_ptr<bool> alive = alive_;
  loadTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (!ec && !alive.expired()) reportLoad();
  });
}

void AgentWorkerClient::updateJob(const std::string& jobId, livekit::JobStatus status, const std::string& error) {
  livekit::WorkerMessage message;
  auto& update = *message.mutable_update_job();
  update.set_job_id(jobId);
  update.set_status(status);
  if (!error.empty()) update.set_error(error);
  send(message);
}

void AgentWorkerClient::drain() {
  draining_ = true;
  loadTimer_.cancel();
  reportLoad();
}

void AgentWorkerClient::stop() {
  stopped_ = true;
  retryTimer_.cancel();
  loadTimer_.cancel();
  if (socket_) socket_->close();
  socket_.reset();
  workerId_.clear();
}

}  // namespace convox::client
