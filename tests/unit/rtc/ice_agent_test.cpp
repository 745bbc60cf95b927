// A full controlling agent connects to an ICE-lite agent over 127.0.0.1
// (the only address either may use), then datagrams flow both ways.
#include "rtc/ice_agent.hpp"

#include <gtest/gtest.h>

using namespace convox::rtc;
using namespace std::chrono_literals;

namespace {

struct Recorder : IceAgentListener {
  std::vector<std::string> candidates;
  bool gathered = false;
  IceState state = IceState::New;
  std::vector<std::string> received;
  void onIceCandidate(const std::string& c) override { candidates.push_back(c); }
  void onIceGatheringDone() override { gathered = true; }
  void onIceStateChange(IceState s) override { state = s; }
  void onIcePacket(std::span<uint8_t> p) override { received.emplace_back(p.begin(), p.end()); }
};

IceSettings loopbackOnly(IceRole role) {
  IceSettings s;
  s.role = role;
  s.localAddresses = {"127.0.0.1"};
  return s;
}

}  // namespace

TEST(IceAgent, ControllingClientConnectsToLiteServerOnLoopback) {
  EventLoop loop;
  Recorder serverSide, clientSide;
  IceAgent server(loop, serverSide, loopbackOnly(IceRole::Lite));
  IceAgent client(loop, clientSide, loopbackOnly(IceRole::Controlling));
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  ASSERT_TRUE(client.start(error)) << error;
  ASSERT_TRUE(loop.runUntil([&] { return serverSide.gathered && clientSide.gathered; }, 5s));
  ASSERT_FALSE(server.localCandidates().empty());
  for (const auto& c : server.localCandidates()) {
    EXPECT_NE(c.find("127.0.0.1"), std::string::npos) << c;
    EXPECT_EQ(c.rfind("candidate:", 0), 0u) << c;
  }
  EXPECT_FALSE(server.localUfrag().empty());
  EXPECT_GE(server.localPassword().size(), 22u);

  ASSERT_TRUE(server.setRemoteCredentials(client.localUfrag(), client.localPassword()));
  ASSERT_TRUE(client.setRemoteCredentials(server.localUfrag(), server.localPassword()));
  for (const auto& c : server.localCandidates()) EXPECT_TRUE(client.addRemoteCandidate("a=" + c));
  client.remoteGatheringDone();
  ASSERT_TRUE(loop.runUntil(
      [&] { return serverSide.state == IceState::Connected && clientSide.state == IceState::Connected; }, 10s))
      << "server " << describe(serverSide.state) << ", client " << describe(clientSide.state);

  const uint8_t ping[] = {0x80, 0x01, 0x02, 0x03};
  ASSERT_TRUE(client.send(ping));
  ASSERT_TRUE(loop.runUntil([&] { return !serverSide.received.empty(); }, 5s));
  EXPECT_EQ(serverSide.received[0], std::string("\x80\x01\x02\x03", 4));
  const uint8_t pong[] = {0x81, 0x09};
  ASSERT_TRUE(server.send(pong));
  ASSERT_TRUE(loop.runUntil([&] { return !clientSide.received.empty(); }, 5s));
  EXPECT_EQ(clientSide.received[0], std::string("\x81\x09", 2));
}

TEST(IceAgent, UnusableCandidatesAreRefusedNotFatal) {
  EventLoop loop;
  Recorder r;
  IceAgent agent(loop, r, loopbackOnly(IceRole::Lite));
  std::string error;
  ASSERT_TRUE(agent.start(error));
  EXPECT_FALSE(agent.addRemoteCandidate(
      "candidate:1 1 udp 2122260223 2f1c6a8e-8c0f-4b8e-9a55-0f1c2d3e4f50.local 50000 typ host"));
  EXPECT_FALSE(agent.addRemoteCandidate("garbage"));
  const uint8_t data[] = {1};
  EXPECT_FALSE(agent.send(data)) << "nothing to send on before connecting";
}

TEST(IceAgent, AnnouncedAddressReplacesHostCandidates) {
  EventLoop loop;
  Recorder r;
  auto settings = loopbackOnly(IceRole::Lite);
  settings.announcedAddress = "203.0.113.7";
  IceAgent agent(loop, r, settings);
  std::string error;
  ASSERT_TRUE(agent.start(error));
  ASSERT_TRUE(loop.runUntil([&] { return r.gathered; }, 5s));
  ASSERT_FALSE(agent.localCandidates().empty());
  for (const auto& c : agent.localCandidates()) EXPECT_NE(c.find("203.0.113.7"), std::string::npos) << c;
}

TEST(IceAgent, PortRangeIsHonoured) {
  EventLoop loop;
  Recorder r;
  auto settings = loopbackOnly(IceRole::Lite);
  settings.portMin = 41000;
  settings.portMax = 41010;
  IceAgent agent(loop, r, settings);
  std::string error;
  ASSERT_TRUE(agent.start(error));
  ASSERT_TRUE(loop.runUntil([&] { return r.gathered; }, 5s));
  for (const auto& c : agent.localCandidates()) {
    // "candidate:F C udp PRIO 127.0.0.1 PORT typ host"
    const auto port = std::stoi(c.substr(c.find("127.0.0.1") + 10));
    EXPECT_GE(port, 41000);
    EXPECT_LE(port, 41010);
  }
}
