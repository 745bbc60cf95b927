#pragma once

// The worker's calls to the control API for one conversation, with the
// job's own token as the credential (it reaches that conversation only).
// Posts are queued (bounded) and retried with back-off while the API is
// down; the call goes on regardless.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include "conversation_so_far.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace convox::worker {

class ControlApiClient {
 public:
  ControlApiClient(boost::asio::io_context& io, std::string baseUrl, std::string token, std::string conversationId);
  ~ControlApiClient();

  // POST /v1/conversations/{id}/status
  void postStatus(const std::string& status, const std::string& endReason = {}, const std::string& error = {},
                  const boost::json::object& results = {});
  // POST /v1/conversations/{id}/turns (idempotent on turn_id)
  void postTurn(boost::json::object turn);
  // GET /v1/conversations/{id} and its turns, once each, each within
  // `timeout`: a re-dispatched job continues from them. Not retried: the
  // call must not wait long for an API that is down.
  using ReadDone = std::function<void(boost::system::result<ConversationSoFar, std::string>)>;
  void readConversation(std::chrono::milliseconds timeout, ReadDone done);
  // GET /v1/conversations/{id}/provider-credentials: the team's stored
  // credentials for the providers this call's agent names (the job token
  // reaches nothing else). Not retried, like readConversation.
  struct TeamCredential {
    std::string provider;
    std::string apiKey;   // "" when none is stored
    std::string baseUrl;  // "" when the team set none
  };
  using CredentialsDone = std::function<void(boost::system::result<std::vector<TeamCredential>, std::string>)>;
  void readCredentials(std::chrono::milliseconds timeout, CredentialsDone done);
  // POST /v1/conversations/{id}/usage, one record (idempotent on its usage_id).
  // `provider` is reduced to the characters the API accepts ("llama.cpp" -> "llama-cpp").
  // An `estimated` quantity goes with "estimated": true (the API keeps it
  // apart and shows the estimated part of the cost).
  void postUsage(const std::string& stage, const std::string& provider, const std::string& model,
                 const std::string& unit, double quantity, bool estimated = false);
  size_t queued() const { return queue_.size(); }
  uint64_t delivered() const { return delivered_; }
  uint64_t dropped() const { return dropped_; }

  static constexpr size_t kMaxQueued = 256;

 private:
  struct Post {
    std::string path;
    std::string body;
    int attempts = 0;
  };
  void enqueue(std::string path, std::string body);
  void sendNext();

  boost::asio::io_context& io_;
  const std::string baseUrl_;
  const std::string token_;
  const std::string conversationId_;
  std::deque<Post> queue_;
  boost::asio::steady_timer retry_;
  bool inFlight_ = false;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::worker
