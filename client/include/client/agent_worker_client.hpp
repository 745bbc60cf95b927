#pragma once

// The agent-worker side of LiveKit's /agent protocol (PROTOCOL-agents.md),
// as @livekit/agents speaks it: register first (and wait for the answer
// before anything else, as Python does), answer availability requests,
// take assignments and terminations, report load every few seconds and each
// job's status, and reconnect with back-off (2 s, 4 s, ... up to the
// ceiling), registering again under a new worker id. A worker that drains
// reports itself full and declines new jobs.

#include "client/websocket_client.hpp"
#include "proto/livekit_agent.pb.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace convox::client {

struct AgentWorkerOptions {
  std::string url;  // the server's URL (ws, wss, http, https); "/agent" is appended
  std::string apiKey;
  std::string apiSecret;  // signs the worker token (video.agent = true)
  std::string agentName;
  std::string version = "convox-worker/0.1.0";
  livekit::JobType jobType = livekit::JT_ROOM;
  livekit::ParticipantPermission permissions;  // defaults: publish, subscribe, data, update metadata, agent
  std::chrono::milliseconds loadInterval{2500};
  std::chrono::milliseconds maxBackoff{10000};
  WebSocketOptions socket;
};

// What the worker says to one availability request.
struct AvailabilityAnswer {
  bool available = false;
  std::string participantIdentity;  // default agent-<job id>
  std::string participantName;
  std::string participantMetadata;
  std::map<std::string, std::string> participantAttributes;
};

// The worker's view of its own load, asked at every report.
struct WorkerLoad {
  float load = 0;  // 0..1
  bool full = false;
  uint32_t jobCount = 0;
};

class AgentWorkerListener {
 public:
  virtual ~AgentWorkerListener() = default;
  virtual void onRegistered(const std::string& /*workerId*/) {}
  virtual AvailabilityAnswer onAvailability(const livekit::AvailabilityRequest& request) = 0;
  virtual void onAssignment(const livekit::JobAssignment& assignment) = 0;
  virtual void onTermination(const std::string& jobId) = 0;
  virtual WorkerLoad currentLoad() = 0;
  // The connection dropped; the next attempt is in `retryIn`.
  virtual void onConnectionLost(const std::string& /*reason*/, std::chrono::milliseconds /*retryIn*/) {}
};

class AgentWorkerClient {
 public:
  AgentWorkerClient(boost::asio::io_context& io, AgentWorkerListener& listener, AgentWorkerOptions options);
  ~AgentWorkerClient();
  AgentWorkerClient(const AgentWorkerClient&) = delete;
  AgentWorkerClient& operator=(const AgentWorkerClient&) = delete;

  // Checks the URL and connects; false with `error` for a bad URL.
  bool start(std::string& error);
  void updateJob(const std::string& jobId, livekit::JobStatus status, const std::string& error = {});
  // Stops taking jobs: reports WS_FULL now and declines every request.
  void drain();
  // Closes the connection for good.
  void stop();

  bool registered() const { return !workerId_.empty(); }
  const std::string& workerId() const { return workerId_; }
  int connectAttempts() const { return attempts_; }

 private:
  void connect();
  void onFrame(std::string_view frame);
  void onClosed(const std::string& reason);
  void send(const livekit::WorkerMessage& message);
  void reportLoad();
  void armLoadTimer();
  std::string workerToken() const;

  boost::asio::io_context& io_;
  AgentWorkerListener& listener_;
  AgentWorkerOptions options_;
  WebSocketUrl url_;
  std::shared_ptr<WebSocketClient> socket_;
  boost::asio::steady_timer retryTimer_;
  boost::asio::steady_timer loadTimer_;
  std::string workerId_;
  int attempts_ = 0;
  int failuresInRow_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::client
