#pragma once

#include "common/http_server.hpp"
#include "participant.hpp"
#include "publisher_transport.hpp"
#include "sfu/room_manager.hpp"
#include "sfu/signal_service.hpp"
#include "sfu/signal_sink.hpp"
#include "subscriber_transport.hpp"

#include <boost/asio/steady_timer.hpp>

namespace convox::sfu {

// What the /rtc query asked for.
struct JoinParameters {
  bool autoSubscribe = true;  // auto_subscribe (default on)
};

// One participant's signalling: joins on its first socket's open, answers
// requests, and leaves when the client leaves or is removed. When the socket
// just drops, the participant and its transports stay for the resume window
// (signal.resume_window): messages meant for it are held, and a reconnect
// (`reconnect=1&sid=...`) attaches the new socket, gets a ReconnectResponse
// and the held messages, and goes on where it was. After the window it leaves.
// A reconnect may also arrive while the old socket still looks open (the
// client saw it die first): the new socket takes over and the old is closed.
// Sockets come and go through SignalSocket.
class SignalSession final : public SignalSink, public std::enable_shared_from_this<SignalSession> {
 public:
  SignalSession(boost::asio::io_context& io, RoomManager& rooms, MediaWorkerPool& media, common::ClaimGrants grants,
                const SignalServiceOptions& options, JoinParameters join);

  // Whether a reconnect for participant `sid` can take this session over now.
  bool resumable(const std::string& sid) const;

  // The first socket: the participant joins.
  void join(std::shared_ptr<common::WebSocketConnection> connection);
  // A reconnect's socket (resumable() was true): it replaces the current one.
  void resume(std::shared_ptr<common::WebSocketConnection> connection);
  // Whether a socket is attached (one that dropped is not).
  bool connected() const { return connection_ != nullptr; }
  bool usesConnection(const common::WebSocketConnection& connection) const { return connection_.get() == &connection; }
  // From the socket in use; see usesConnection.
  void onMessage(std::string_view data, bool binary);
  // Any of this session's sockets closed; only the one in use matters.
  void onConnectionClosed(const common::WebSocketConnection& connection, uint16_t code, std::string_view reason);

  // SignalSink
  void send(const livekit::SignalResponse& message) override;
  void close(uint16_t code, std::string reason) override;
  void subscribeTrack(const livekit::TrackInfo& track, const std::string& publisherSid) override;
  void unsubscribeTrack(const std::string& trackSid) override;
  void setPublishedTrackMuted(const std::string& trackSid, bool muted) override;

 private:
  using Handler = void (SignalSession::*)(const livekit::SignalRequest&);
  static const std::array<Handler, 24>& handlers();

  void sendJoinResponse(const RoomManager::Joined& joined);
  void armPingTimeout();

  void onPing(const livekit::SignalRequest& req);
  void onPingReq(const livekit::SignalRequest& req);
  void onLeave(const livekit::SignalRequest& req);
  void onUpdateMetadata(const livekit::SignalRequest& req);
  void onAccepted(const livekit::SignalRequest& req);
  void onMediaRequest(const livekit::SignalRequest& req);
  void onOffer(const livekit::SignalRequest& req);
  void onTrickle(const livekit::SignalRequest& req);
  void onAnswer(const livekit::SignalRequest& req);
  void onAddTrack(const livekit::SignalRequest& req);
  void onMute(const livekit::SignalRequest& req);
  void onSubscription(const livekit::SignalRequest& req);
  void onSubscriptionPermission(const livekit::SignalRequest& req);
  void onTrackSetting(const livekit::SignalRequest& req);
  // A dropped socket may be resumed: media connected and still healthy.
  bool keepsForResume() const;
  void suspend();
  void end();
  void endSoon();
  void createPublisher();
  void createSubscriber();
  // Runs `fn` on the signalling thread if this session still exists then.
  std::function<void(std::function<void(SignalSession&)>)> toSignal();

  // Passed by argument.
  boost::asio::io_context& io_;
  RoomManager& rooms_;
  MediaWorkerPool& mediaPool_;
  const SignalServiceOptions& options_;
  // Others.
  common::ClaimGrants grants_;
  const JoinParameters join_;
  std::shared_ptr<common::WebSocketConnection> connection_;
  std::shared_ptr<Participant> participant_;
  MediaWorker* media_ = nullptr;                     // the room's media thread
  std::shared_ptr<MediaRoom> mediaRoom_;             // used on the media thread only
  std::shared_ptr<PublisherTransport> publisher_;    // used on the media thread only
  std::shared_ptr<SubscriberTransport> subscriber_;  // used on the media thread only
  boost::asio::steady_timer pingTimeout_;
  boost::asio::steady_timer resumeTimer_;
  bool suspended_ = false;         // the socket dropped; waiting for a reconnect
  bool endOnClose_ = false;        // the close was ours (leave, removal, bad input): no resume
  bool mediaConnected_ = false;    // a peer connection has connected at least once
  bool mediaFailed_ = false;       // a peer connection failed: a resume would find it dead
  std::vector<std::string> held_;  // encoded messages sent while suspended
  livekit::DisconnectReason leaveReason_ = livekit::SIGNAL_CLOSE;
  bool warnedMediaUnsupported_ = false;
};

}  // namespace convox::sfu
