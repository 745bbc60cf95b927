// The pool's one ICE-TCP listener hands a connection to the media thread
// its first binding request's ufrag names: three threads, a connection on
// the third, answered from there.
#include "media_worker.hpp"

#include "rtc/ice_transport.hpp"
#include "rtc/stun_message.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <future>

namespace convox::sfu {
namespace {

struct QuietIce final : rtc::IceAgentListener {
  void onIceCandidate(const std::string& c) override { candidates.push_back(c); }
  void onIceGatheringDone() override {}
  void onIceStateChange(rtc::IceState) override {}
  void onIcePacket(std::span<uint8_t>) override {}
  std::vector<std::string> candidates;
};

uint16_t freeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST(MediaWorkerTcp, UfragPrefixesNameTheirThread) {
  for (const size_t i : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{255}}) {
    EXPECT_EQ(MediaWorker::threadOfUfrag(MediaWorker::ufragPrefix(i) + "abcdefgh"), i);
  }
  EXPECT_FALSE(MediaWorker::threadOfUfrag("a"));
  EXPECT_FALSE(MediaWorker::threadOfUfrag("-x12345"));
}

TEST(MediaWorkerTcp, AConnectionGoesToTheThreadItsUfragNames) {
  MediaSettings settings;
  settings.interfaces = {"127.0.0.1"};
  settings.sharedUdpSocket = true;
  settings.tcpPort = freeTcpPort();
  MediaWorkerPool pool(settings, 3);
  pool.pick();
  pool.pick();
  MediaWorker& third = pool.pick();

  QuietIce listener;
  std::unique_ptr<rtc::IceTransport> ice;
  std::promise<std::pair<std::string, std::string>> credentials;
  third.loop().post([&] {
    ice = rtc::makeIceTransport(third.loop(), listener, third.transportSettings(false).ice);
    std::string error;
    EXPECT_TRUE(ice->start(error)) << error;
    credentials.set_value({ice->localUfrag(), ice->localPassword()});
  });
  const auto [ufrag, password] = credentials.get_future().get();
  EXPECT_EQ(ufrag.substr(0, 2), MediaWorker::ufragPrefix(2));

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(settings.tcpPort);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::vector<uint8_t> request(256);
  const std::array<uint8_t, 12> txid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  rtc::StunWriter w(std::span<uint8_t>(request).subspan(2), rtc::kStunBindingMethod, rtc::StunClass::Request, txid);
  w.text(rtc::stun_attribute::kUsername, ufrag + ":peer")
      .u32(rtc::stun_attribute::kPriority, 1)
      .u64(rtc::stun_attribute::kIceControlling, 7)
      .flag(rtc::stun_attribute::kUseCandidate)
      .messageIntegrity(password)
      .fingerprint();
  request[0] = static_cast<uint8_t>(w.size() >> 8);
  request[1] = static_cast<uint8_t>(w.size());
  ASSERT_EQ(::send(fd, request.data(), w.size() + 2, 0), static_cast<ssize_t>(w.size() + 2));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::array<uint8_t, 512> response{};
  const ssize_t n = ::recv(fd, response.data(), response.size(), 0);
  ASSERT_GT(n, 2);
  const auto m = rtc::StunMessage::parse(std::span<const uint8_t>(response).subspan(2, static_cast<size_t>(n) - 2));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->messageClass, rtc::StunClass::SuccessResponse);
  ::close(fd);

  std::promise<void> gone;
  third.loop().post([&] {
    ice.reset();
    gone.set_value();
  });
  gone.get_future().get();
}

}  // namespace
}  // namespace convox::sfu
