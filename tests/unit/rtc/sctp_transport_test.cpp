// Two SctpTransports back to back over an in-memory "wire" on one EventLoop:
// association, DCEP open/ack, ordered and unordered channels, large and
// empty messages, closing.
#include "rtc/sctp_transport.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;
using namespace std::chrono_literals;

namespace {

struct Side : SctpTransportListener {
  EventLoop* loop = nullptr;
  SctpTransport* peer = nullptr;
  bool connected = false;
  std::map<uint16_t, std::string> opened;  // stream -> label
  std::vector<std::pair<uint16_t, std::string>> messages;
  std::vector<bool> binaryFlags;
  std::vector<uint16_t> closed;

  void onSctpSend(std::span<const uint8_t> packet) override {
    // Deliver later, as a network would: never re-enter usrsctp from its callback.
    auto* target = peer;
    loop->post([target, copy = std::vector<uint8_t>(packet.begin(), packet.end())] { target->receive(copy); });
  }
  void onSctpConnected() override { connected = true; }
  void onSctpClosed(const std::string&) override { connected = false; }
  void onDataChannelOpen(uint16_t sid, const std::string& label, const DataChannelOptions&) override {
    opened[sid] = label;
  }
  void onDataChannelMessage(uint16_t sid, std::span<const uint8_t> data, bool binary) override {
    messages.emplace_back(sid, std::string(data.begin(), data.end()));
    binaryFlags.push_back(binary);
  }
  void onDataChannelClosed(uint16_t sid) override { closed.push_back(sid); }
};

class SctpPair : public ::testing::Test {
 protected:
  SctpPair() : client_(loop_, clientSide_), server_(loop_, serverSide_) {
    clientSide_.loop = serverSide_.loop = &loop_;
    clientSide_.peer = &server_;
    serverSide_.peer = &client_;
  }

  void connect() {
    std::string error;
    ASSERT_TRUE(server_.start(false, error)) << error;
    ASSERT_TRUE(client_.start(true, error)) << error;
    ASSERT_TRUE(loop_.runUntil([&] { return clientSide_.connected && serverSide_.connected; }, 5s));
  }

  static std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }

  EventLoop loop_;
  Side clientSide_, serverSide_;
  SctpTransport client_, server_;
};

}  // namespace

TEST_F(SctpPair, AssociationComesUp) {
  connect();
  EXPECT_TRUE(client_.connected());
  EXPECT_TRUE(server_.connected());
}

TEST_F(SctpPair, ChannelsOpenWithDcepAndStreamIdsFollowTheDtlsRole) {
  connect();
  auto reliable = client_.openChannel("_reliable", {});
  auto lossy = client_.openChannel("_lossy", {false, 0u, {}, "", 256});
  auto fromServer = server_.openChannel("server-made", {});
  ASSERT_TRUE(reliable && lossy && fromServer);
  EXPECT_EQ(*reliable % 2, 0) << "DTLS client uses even ids";
  EXPECT_EQ(*lossy % 2, 0);
  EXPECT_EQ(*fromServer % 2, 1) << "DTLS server uses odd ids";
  ASSERT_TRUE(loop_.runUntil([&] { return serverSide_.opened.size() == 3 && clientSide_.opened.size() == 3; }, 5s));
  EXPECT_EQ(serverSide_.opened[*reliable], "_reliable");
  EXPECT_EQ(serverSide_.opened[*lossy], "_lossy");
  EXPECT_EQ(clientSide_.opened[*fromServer], "server-made");
  EXPECT_EQ(clientSide_.opened[*reliable], "_reliable") << "the ACK reports our own channel open";
}

TEST_F(SctpPair, MessagesTextBinaryEmptyAndLarge) {
  connect();
  auto sid = client_.openChannel("chat", {});
  ASSERT_TRUE(sid);
  ASSERT_TRUE(client_.send(*sid, bytes("hello"), false));
  const std::string blob(64 * 1024, 'x');
  ASSERT_TRUE(client_.send(*sid, bytes(blob), true));
  ASSERT_TRUE(client_.send(*sid, {}, true));
  ASSERT_TRUE(loop_.runUntil([&] { return serverSide_.messages.size() == 3; }, 10s));
  EXPECT_EQ(serverSide_.messages[0].second, "hello");
  EXPECT_FALSE(serverSide_.binaryFlags[0]);
  EXPECT_EQ(serverSide_.messages[1].second.size(), blob.size());
  EXPECT_EQ(serverSide_.messages[1].second, blob);
  EXPECT_TRUE(serverSide_.binaryFlags[1]);
  EXPECT_EQ(serverSide_.messages[2].second, "");
  // And back on the same stream.
  ASSERT_TRUE(server_.send(*sid, bytes("echo"), false));
  ASSERT_TRUE(loop_.runUntil([&] { return clientSide_.messages.size() == 1; }, 5s));
  EXPECT_EQ(clientSide_.messages[0].second, "echo");
}

TEST_F(SctpPair, UnknownChannelsAndOversizedMessagesAreRefused) {
  connect();
  EXPECT_FALSE(client_.send(400, bytes("nobody"), false));
  auto sid = client_.openChannel("c", {});
  const std::string tooBig(300 * 1024, 'y');
  EXPECT_FALSE(client_.send(*sid, bytes(tooBig), true));
}

TEST_F(SctpPair, ClosingAChannelResetsTheStreamOnBothSides) {
  connect();
  auto sid = client_.openChannel("closing", {});
  ASSERT_TRUE(loop_.runUntil([&] { return serverSide_.opened.contains(*sid); }, 5s));
  client_.closeChannel(*sid);
  ASSERT_TRUE(loop_.runUntil([&] { return !serverSide_.closed.empty(); }, 5s));
  EXPECT_EQ(serverSide_.closed[0], *sid);
  EXPECT_EQ(clientSide_.closed[0], *sid);
}
