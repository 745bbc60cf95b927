// The per-thread UDP mux over real loopback sockets: two ICE-lite
// connections on one port, each found by its ufrag, media by the nominated
// source address; strangers dropped and counted; a burst read in batches
// and answered in batches.
#include "rtc/udp_mux.hpp"
#include "mux_recorder.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace convox::rtc {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

using Recorder = testing::MuxRecorder;

// A peer: a plain UDP socket on 127.0.0.1.
class Peer {
 public:
  Peer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    self = SocketEndpoint::v4(127, 0, 0, 1, ntohs(a.sin_port));
  }
  ~Peer() { ::close(fd_); }
  void sendTo(const SocketEndpoint& to, std::span<const uint8_t> d) const {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(to.port);
    std::memcpy(&a.sin_addr, to.address.data(), 4);
    ::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  std::optional<Bytes> receive() const {
    Bytes b(2048);
    const ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
    if (n < 0) return std::nullopt;
    b.resize(static_cast<size_t>(n));
    return b;
  }
  SocketEndpoint self;

 private:
  int fd_ = -1;
};

Bytes bindingRequest(const std::string& username, const std::string& password, bool nominate, uint8_t id) {
  const std::array<uint8_t, 12> txid = {id, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  Bytes out(256);
  StunWriter w(out, kStunBindingMethod, StunClass::Request, txid);
  w.text(stun_attribute::kUsername, username).u32(stun_attribute::kPriority, 1).u64(stun_attribute::kIceControlling, 7);
  if (nominate) w.flag(stun_attribute::kUseCandidate);
  w.messageIntegrity(password).fingerprint();
  return {w.bytes().begin(), w.bytes().end()};
}

class UdpMuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(mux.open(SocketEndpoint::v4(127, 0, 0, 1, 0), error)) << error;
    ASSERT_NE(mux.localEndpoint().port, 0);
    a = mux.add({"ufa", "password-a-0123456789012", "pa"}, recA);
    b = mux.add({"ufb", "password-b-0123456789012", "pb"}, recB);
  }
  std::optional<Bytes> await(const Peer& p) {
    std::optional<Bytes> got;
    loop.runUntil([&] { return (got = p.receive()).has_value(); }, 2s);
    return got;
  }
  EventLoop loop{convox::rtc::EventLoopDriver::Asio};  // as on the SFU's media threads
  UdpMux mux{loop};
  Recorder recA, recB;
  UdpMux::SessionId a = 0, b = 0;
  Peer peerA, peerB;
};

TEST_F(UdpMuxTest, EachConnectionIsFoundByItsUfragAndItsMediaByItsPath) {
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 1));
  const auto response = await(peerA);
  ASSERT_TRUE(response);
  const auto m = StunMessage::parse(*response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->messageClass, StunClass::SuccessResponse);
  EXPECT_EQ(m->xorMappedAddress, peerA.self);
  ASSERT_EQ(recA.paths.size(), 1u);
  EXPECT_EQ(recA.paths[0], peerA.self);

  peerB.sendTo(mux.localEndpoint(), bindingRequest("ufb:pb", "password-b-0123456789012", true, 2));
  ASSERT_TRUE(await(peerB));

  const Bytes rtpA = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xA, 0xA, 0xA, 0xA, 1};
  const Bytes rtpB = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xB, 0xB, 0xB, 0xB, 2};
  peerA.sendTo(mux.localEndpoint(), rtpA);
  peerB.sendTo(mux.localEndpoint(), rtpB);
  ASSERT_TRUE(loop.runUntil([&] { return !recA.packets.empty() && !recB.packets.empty(); }, 2s));
  EXPECT_EQ(recA.packets[0], rtpA);
  EXPECT_EQ(recB.packets[0], rtpB);

  // And back: the mux sends to the connection's selected path.
  ASSERT_TRUE(mux.send(b, rtpB));
  const auto back = await(peerB);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rtpB);
}

TEST_F(UdpMuxTest, MediaFromACheckedAddressIsTakenBeforeTheNomination) {
  // A DTLS ClientHello can beat the nominating check.
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", false, 10));
  ASSERT_TRUE(await(peerA));
  EXPECT_TRUE(recA.paths.empty());
  const Bytes hello = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  peerA.sendTo(mux.localEndpoint(), hello);
  ASSERT_TRUE(loop.runUntil([&] { return !recA.packets.empty(); }, 2s));
  ASSERT_TRUE(mux.send(a, hello));  // the reply goes to where the check came from
  EXPECT_EQ(await(peerA), hello);
  // Once another address is nominated, the checked one is forgotten.
  Peer other;
  other.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 11));
  ASSERT_TRUE(await(other));
  peerA.sendTo(mux.localEndpoint(), hello);
  ASSERT_TRUE(loop.runUntil([&] { return mux.counters().unknownSource == 1; }, 2s));
  EXPECT_EQ(recA.packets.size(), 1u);
}

TEST_F(UdpMuxTest, StrangersAreDroppedAndCounted) {
  Peer stranger;
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  stranger.sendTo(mux.localEndpoint(), rtp);                                                       // no path
  stranger.sendTo(mux.localEndpoint(), bindingRequest("nobody:x", "whatever-password", true, 3));  // no ufrag
  ASSERT_TRUE(loop.runUntil([&] { return mux.counters().datagramsReceived == 2; }, 2s));
  EXPECT_EQ(mux.counters().unknownSource, 1u);
  EXPECT_EQ(mux.counters().unknownUfrag, 1u);
  EXPECT_TRUE(recA.packets.empty());
  EXPECT_FALSE(mux.send(a, rtp));  // nothing nominated yet
  // A wrong password for a real ufrag is refused (401) and nominates nothing.
  stranger.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "guessed-password", true, 4));
  const auto refusal = await(stranger);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(StunMessage::parse(*refusal)->errorCode, 401);
  EXPECT_TRUE(recA.paths.empty());
}

TEST_F(UdpMuxTest, ARemovedConnectionGetsNothingMore) {
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 5));
  ASSERT_TRUE(await(peerA));
  mux.remove(a);
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  peerA.sendTo(mux.localEndpoint(), rtp);
  ASSERT_TRUE(loop.runUntil([&] { return mux.counters().unknownSource == 1; }, 2s));
  EXPECT_TRUE(recA.packets.empty());
}

// Ids are slot and generation: a connection added in a removed one's slot
// gets a new id, and the old id reaches nothing.
TEST_F(UdpMuxTest, ARemovedConnectionsIdFindsNothingOnceItsSlotIsReused) {
  mux.remove(a);
  Recorder recC;
  const auto c = mux.add({"ufc", "password-c-0123456789012", "pc"}, recC);
  EXPECT_NE(c, a);
  EXPECT_NE(c, 0u);
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufc:pc", "password-c-0123456789012", true, 10));
  ASSERT_TRUE(await(peerA));
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  EXPECT_FALSE(mux.send(a, rtp));
  EXPECT_TRUE(mux.consentExpired(a, IceLiteResponder::Clock::now()));
  mux.restart(a, {"ufa", "password-a-0123456789012", "pa"});  // a stale id changes nothing
  mux.remove(a);
  EXPECT_TRUE(mux.send(c, rtp));
  ASSERT_TRUE(await(peerA));
  peerA.sendTo(mux.localEndpoint(), rtp);
  ASSERT_TRUE(loop.runUntil([&] { return recC.packets.size() == 1; }, 2s));
  EXPECT_TRUE(recA.packets.empty());
  mux.remove(c);
}

TEST_F(UdpMuxTest, AnIceRestartMovesTheConnectionToItsNewUfrag) {
  mux.restart(a, {"ufa2", "password-a2-012345678901", "pa2"});
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 6));
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa2:pa2", "password-a2-012345678901", true, 7));
  const auto first = await(peerA);
  ASSERT_TRUE(first);
  EXPECT_EQ(StunMessage::parse(*first)->messageClass, StunClass::SuccessResponse);  // the old ufrag went unanswered
  EXPECT_EQ(mux.counters().unknownUfrag, 1u);
  EXPECT_EQ(recA.paths.size(), 1u);
}

TEST_F(UdpMuxTest, ABurstIsReadAndAnsweredInBatches) {
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 8));
  ASSERT_TRUE(await(peerA));
  const auto batchesBefore = mux.counters().receiveBatches;
  // 200 packets land before the loop wakes; each is echoed from the listener.
  struct Echo final : UdpMuxListener {
    UdpMux* mux = nullptr;
    UdpMux::SessionId id = 0;
    size_t count = 0;
    void onMuxPacket(std::span<uint8_t> d) override {
      ++count;
      mux->send(id, d);
    }
  } echo;
  mux.remove(a);
  echo.mux = &mux;
  echo.id = mux.add({"ufa", "password-a-0123456789012", "pa"}, echo);
  peerA.sendTo(mux.localEndpoint(), bindingRequest("ufa:pa", "password-a-0123456789012", true, 9));
  ASSERT_TRUE(await(peerA));
  const auto sendBatchesBefore = mux.counters().sendBatches;
  Bytes rtp = {0x80, 111, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0};
  for (int i = 0; i < 200; ++i) {
    rtp[12] = static_cast<uint8_t>(i);
    peerA.sendTo(mux.localEndpoint(), rtp);
  }
  ASSERT_TRUE(loop.runUntil([&] { return echo.count == 200; }, 3s));
  size_t echoed = 0;
  while (loop.runUntil([&] { return peerA.receive().has_value(); }, 200ms)) ++echoed;
  EXPECT_EQ(echoed, 200u);
  EXPECT_GE(mux.counters().datagramsSent, 200u);
  // Fewer system calls than packets, both ways.
  EXPECT_LT(mux.counters().receiveBatches - batchesBefore, 200u / 4);
  EXPECT_LT(mux.counters().sendBatches - sendBatchesBefore, 200u / 4);
}

}  // namespace
}  // namespace convox::rtc
