// ICE-TCP on the mux over real loopback sockets: the listener hands a
// connection over after its first frame, the mux binds it to the session
// that frame's binding request names and then treats its peer as a path
// like a UDP one; a connection that opens with anything else is closed; a
// closed connection is a path gone; a peer that stops reading loses frames
// rather than stalling the loop.
#include "mux_recorder.hpp"
#include "rtc/rfc4571_framing.hpp"
#include "rtc/tcp_ice_listener.hpp"
#include "rtc/udp_mux.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

Bytes framed(const Bytes& packet) {
  Bytes out = {static_cast<uint8_t>(packet.size() >> 8), static_cast<uint8_t>(packet.size())};
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

Bytes bindingRequest(const std::string& username, const std::string& password, bool nominate, uint8_t id) {
  const std::array<uint8_t, 12> txid = {id, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  Bytes out(256);
  StunWriter w(out, kStunBindingMethod, StunClass::Request, txid);
  w.text(stun_attribute::kUsername, username).u32(stun_attribute::kPriority, 1).u64(stun_attribute::kIceControlling, 7);
  if (nominate) w.flag(stun_attribute::kUseCandidate);
  w.messageIntegrity(password).fingerprint();
  return {w.bytes().begin(), w.bytes().end()};
}

// A client: a TCP connection to the listener, read without blocking.
class Client {
 public:
  explicit Client(const SocketEndpoint& to) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(to.port);
    std::memcpy(&a.sin_addr, to.address.data(), 4);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    self = SocketEndpoint::v4(127, 0, 0, 1, ntohs(a.sin_port));
    self.tcp = true;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const Bytes& bytes) const {
    EXPECT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }
  // Reads what is there; true once the server closed the connection.
  bool poll() {
    for (;;) {
      const auto space = in_.space();
      if (space.empty()) break;
      const ssize_t n = ::recv(fd_, space.data(), space.size(), MSG_DONTWAIT);
      if (n == 0) return closed_ = true;
      if (n < 0) break;
      in_.commit(static_cast<size_t>(n));
      std::span<uint8_t> frame;
      while (in_.next(frame) == Rfc4571Reader::Status::Frame) frames.emplace_back(frame.begin(), frame.end());
    }
    return closed_;
  }
  std::vector<Bytes> frames;
  SocketEndpoint self;

 private:
  int fd_ = -1;
  Rfc4571Reader in_;
  bool closed_ = false;
};

class TcpIceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(mux.open(SocketEndpoint::v4(127, 0, 0, 1, 0), error)) << error;
    ASSERT_TRUE(listener.open(SocketEndpoint::v4(127, 0, 0, 1, 0), error)) << error;
    EXPECT_TRUE(listener.localEndpoint().tcp);
    listener.start(loop, [this](AcceptedTcpIce a) {
      ufrags.push_back(a.localUfrag);
      mux.adoptTcp(a.fd, a.peer, a.bytes);
    });
    a = mux.add({"ufa", "password-a-0123456789012", "pa"}, recA);
  }
  bool awaitFrames(Client& c, size_t n) {
    return loop.runUntil([&] { return c.poll(), c.frames.size() >= n; }, 2s);
  }
  bool awaitClosed(Client& c) {
    return loop.runUntil([&] { return c.poll(); }, 2s);
  }
  EventLoop loop{EventLoopDriver::Asio};
  UdpMux mux{loop};
  TcpIceListener listener;
  Recorder recA;
  UdpMux::SessionId a = 0;
  std::vector<std::string> ufrags;
};

TEST_F(TcpIceTest, ABindingRequestBindsTheConnectionAndMediaGoesBothWaysFramed) {
  Client c(listener.localEndpoint());
  c.write(framed(bindingRequest("ufa:pa", "password-a-0123456789012", true, 1)));
  ASSERT_TRUE(awaitFrames(c, 1));
  const auto m = StunMessage::parse(c.frames[0]);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->messageClass, StunClass::SuccessResponse);
  EXPECT_EQ(ufrags, std::vector<std::string>{"ufa"});
  ASSERT_EQ(recA.paths.size(), 1u);
  EXPECT_EQ(recA.paths[0], c.self);  // the path is TCP: a different one from the same port over UDP
  EXPECT_EQ(mux.tcpConnections(), 1u);

  // A DTLS record then an RTP packet, one write each byte: reassembled.
  const Bytes dtls = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3};
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xA, 0xA, 0xA, 0xA, 1, 2, 3, 4};
  Bytes both = framed(dtls);
  const auto second = framed(rtp);
  both.insert(both.end(), second.begin(), second.end());
  for (const uint8_t byte : both) {
    c.write({byte});
    loop.runFor(1ms);
  }
  ASSERT_TRUE(loop.runUntil([&] { return recA.packets.size() == 2; }, 2s));
  EXPECT_EQ(recA.packets[0], dtls);
  EXPECT_EQ(recA.packets[1], rtp);

  // Coalesced: three frames in one write.
  Bytes three;
  for (int i = 0; i < 3; ++i) three.insert(three.end(), second.begin(), second.end());
  c.write(three);
  ASSERT_TRUE(loop.runUntil([&] { return recA.packets.size() == 5; }, 2s));

  // And back, framed, on the nominated TCP path.
  ASSERT_TRUE(mux.send(a, rtp));
  ASSERT_TRUE(awaitFrames(c, 2));
  EXPECT_EQ(c.frames[1], rtp);
  EXPECT_EQ(mux.counters().tcpFramesReceived, 6u);
  EXPECT_EQ(mux.counters().tcpFramesSent, 2u);
}

TEST_F(TcpIceTest, AConnectionThatOpensWithAnythingButAValidBindingRequestIsClosed) {
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xA, 0xA, 0xA, 0xA, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Client media(listener.localEndpoint());  // not STUN: the listener closes it
  media.write(framed(rtp));
  EXPECT_TRUE(awaitClosed(media));
  Client tls(listener.localEndpoint());  // not framed at all: an oversize length
  tls.write({0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
  EXPECT_TRUE(awaitClosed(tls));
  Client stranger(listener.localEndpoint());  // STUN for no session here: the mux closes it
  stranger.write(framed(bindingRequest("nobody:pa", "password-a-0123456789012", true, 2)));
  EXPECT_TRUE(awaitClosed(stranger));
  Client guesser(listener.localEndpoint());  // a real ufrag, a wrong password: 401, then closed
  guesser.write(framed(bindingRequest("ufa:pa", "guessed-password", true, 3)));
  EXPECT_TRUE(awaitClosed(guesser));
  EXPECT_EQ(listener.counters().refused, 2u);
  EXPECT_EQ(mux.counters().tcpRefused, 2u);
  EXPECT_EQ(mux.tcpConnections(), 0u);
  EXPECT_TRUE(recA.paths.empty());
  EXPECT_TRUE(recA.packets.empty());
}

TEST_F(TcpIceTest, AConnectionStaysItsFirstSessionsThroughAnIceRestart) {
  Recorder recB;
  const auto b = mux.add({"ufb", "password-b-0123456789012", "pb"}, recB);
  Client c(listener.localEndpoint());
  c.write(framed(bindingRequest("ufa:pa", "password-a-0123456789012", true, 7)));
  ASSERT_TRUE(awaitFrames(c, 1));
  // Another session's check on this connection is not answered.
  c.write(framed(bindingRequest("ufb:pb", "password-b-0123456789012", true, 8)));
  ASSERT_TRUE(loop.runUntil([&] { return mux.counters().unknownUfrag == 1; }, 2s));
  EXPECT_TRUE(recB.paths.empty());
  // Its own session's restart is: the same connection, new credentials.
  mux.restart(a, {"ufa2", "password-a2-012345678901", "pa2"});
  c.write(framed(bindingRequest("ufa2:pa2", "password-a2-012345678901", true, 9)));
  ASSERT_TRUE(awaitFrames(c, 2));
  EXPECT_EQ(StunMessage::parse(c.frames[1])->messageClass, StunClass::SuccessResponse);
  EXPECT_EQ(recA.paths.size(), 1u);  // the same path: nothing changed
  mux.remove(b);
}

TEST_F(TcpIceTest, AClosedConnectionIsAPathGone) {
  {
    Client c(listener.localEndpoint());
    c.write(framed(bindingRequest("ufa:pa", "password-a-0123456789012", true, 4)));
    ASSERT_TRUE(awaitFrames(c, 1));
    c.close();
  }
  ASSERT_TRUE(loop.runUntil([&] { return mux.counters().tcpClosed == 1; }, 2s));
  EXPECT_EQ(mux.tcpConnections(), 0u);
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xA, 0xA, 0xA, 0xA};
  mux.send(a, rtp);  // to the nominated path, which has no connection now
  EXPECT_EQ(mux.counters().tcpSendDropped, 1u);
  // Consent then runs out as for a UDP path that went quiet.
  EXPECT_TRUE(mux.consentExpired(a, IceLiteResponder::Clock::now() + 31s));
}

TEST_F(TcpIceTest, RemovingTheSessionClosesItsConnection) {
  Client c(listener.localEndpoint());
  c.write(framed(bindingRequest("ufa:pa", "password-a-0123456789012", true, 5)));
  ASSERT_TRUE(awaitFrames(c, 1));
  mux.remove(a);
  EXPECT_TRUE(awaitClosed(c));
  EXPECT_EQ(mux.tcpConnections(), 0u);
}

// A transport that goes away while a packet of its connection is handled
// (a DTLS alert, say): the connection is closed once the read is over, and
// the frames after that packet reach nobody.
struct Remover final : UdpMuxListener {
  UdpMux* mux = nullptr;
  UdpMux::SessionId id = 0;
  int packets = 0;
  void onMuxPacket(std::span<uint8_t>) override {
    ++packets;
    mux->remove(id);
  }
};

TEST_F(TcpIceTest, ASessionRemovedWhileItsConnectionIsReadIsClosedAfterTheRead) {
  Remover r;
  r.mux = &mux;
  r.id = mux.add({"ufr", "password-r-0123456789012", "pr"}, r);
  Client c(listener.localEndpoint());
  c.write(framed(bindingRequest("ufr:pr", "password-r-0123456789012", true, 10)));
  ASSERT_TRUE(awaitFrames(c, 1));
  const Bytes rtp = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xA, 0xA, 0xA, 0xA, 1, 2, 3, 4};
  const Bytes one = framed(rtp);
  Bytes two = one;
  two.insert(two.end(), one.begin(), one.end());
  c.write(two);
  EXPECT_TRUE(awaitClosed(c));
  EXPECT_EQ(r.packets, 1);
  EXPECT_EQ(mux.tcpConnections(), 0u);
}

TEST_F(TcpIceTest, APeerThatStopsReadingLosesFramesAndTheLoopGoesOn) {
  Client c(listener.localEndpoint());
  c.write(framed(bindingRequest("ufa:pa", "password-a-0123456789012", true, 6)));
  ASSERT_TRUE(awaitFrames(c, 1));
  const Bytes video(1200, 0x80);
  // Far more than the kernel's buffers and the connection's queue hold; the
  // client reads none of it. Every send returns at once.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20000; ++i) mux.send(a, video);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_GT(mux.counters().tcpSendDropped, 0u);
  EXPECT_LT(mux.counters().tcpFramesSent, 20000u);
  // What was queued is written once the client reads: whole frames, in order.
  ASSERT_TRUE(loop.runUntil([&] { return c.poll(), c.frames.size() == 1 + mux.counters().tcpFramesSent - 1; }, 5s));
  EXPECT_EQ(c.frames.back(), video);
}

}  // namespace
}  // namespace convox::rtc
