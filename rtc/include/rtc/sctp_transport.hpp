#pragma once

// SCTP over DTLS (RFC 8261) with usrsctp in userland, and WebRTC data
// channels on top (RFC 8831, DCEP RFC 8832). usrsctp runs a timer thread of
// its own; every listener call is nevertheless made on the owning
// EventLoop's thread (work from usrsctp's thread is posted there).

#include "rtc/dcep.hpp"
#include "rtc/event_loop.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct socket;

namespace convox::rtc {

class SctpTransportListener {
 public:
  virtual ~SctpTransportListener() = default;
  // An SCTP packet for DTLS to carry.
  virtual void onSctpSend(std::span<const uint8_t> packet) = 0;
  virtual void onSctpConnected() = 0;
  virtual void onSctpClosed(const std::string& reason) = 0;
  // A channel is open: one the peer opened, or one of ours the peer acked.
  virtual void onDataChannelOpen(uint16_t streamId, const std::string& label, const DataChannelOptions& options) = 0;
  virtual void onDataChannelMessage(uint16_t streamId, std::span<const uint8_t> data, bool binary) = 0;
  virtual void onDataChannelClosed(uint16_t streamId) = 0;
};

struct SctpSettings {
  uint16_t localPort = 5000;  // a=sctp-port
  uint16_t remotePort = 5000;
  size_t maxMessageSize = size_t{256} * 1024;  // a=max-message-size we accept
};

class SctpTransport {
 public:
  SctpTransport(EventLoop& loop, SctpTransportListener& listener, SctpSettings settings = {});
  ~SctpTransport();
  SctpTransport(const SctpTransport&) = delete;
  SctpTransport& operator=(const SctpTransport&) = delete;

  // Starts the association once DTLS is up. The DTLS role decides which
  // stream ids are ours (client: even, server: odd; RFC 8832 §6).
  bool start(bool isDtlsClient, std::string& error);
  // An SCTP packet DTLS decrypted.
  void receive(std::span<const uint8_t> packet);

  // Opens a channel (sends DCEP OPEN); returns its stream id.
  std::optional<uint16_t> openChannel(const std::string& label, const DataChannelOptions& options);
  // Sends one message; false if the channel is unknown, the message is too
  // large, or SCTP refused it.
  bool send(uint16_t streamId, std::span<const uint8_t> data, bool binary);
  // Resets the channel's outgoing stream (the peer sees it close).
  void closeChannel(uint16_t streamId);

  bool connected() const { return connected_; }

 private:
  struct Channel {
    std::string label;
    DataChannelOptions options;
    bool open = false;
    std::vector<uint8_t> partial;  // a message usrsctp delivered in pieces
  };
  friend struct SctpCallbacks;

  void onOutgoingPacket(std::span<const uint8_t> packet);
  void onIncoming(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data, bool endOfRecord);
  void onNotification(std::span<const uint8_t> data);
  void onDcep(uint16_t streamId, std::span<const uint8_t> message);
  void deliver(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data);
  bool sendRaw(uint16_t streamId, uint32_t ppid, std::span<const uint8_t> data, const DataChannelOptions& options);

  // Passed by argument.
  EventLoop& loop_;
  SctpTransportListener& listener_;
  const SctpSettings settings_;
  // Allocated by this.
  struct socket* socket_ = nullptr;
  // Others.
  std::map<uint16_t, Channel> channels_;
  bool isDtlsClient_ = false;
  bool connected_ = false;
  uint16_t nextStreamId_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace convox::rtc
