// The ICE-lite responder on a fake clock, fed requests as Chrome writes them
// (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
// FINGERPRINT): answers, refusals with their codes, nomination, consent,
// address changes and ICE restart.
#include "rtc/ice_lite_responder.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace convox::rtc {
namespace {

using namespace std::chrono_literals;
using Clock = IceLiteResponder::Clock;
using Bytes = std::vector<uint8_t>;

struct Request {
  std::string username = "srvr:peer";
  std::string password = "server-password-0123456789";
  bool useCandidate = false;
  bool controlling = true;
  bool controlled = false;
  bool integrity = true;
  bool fingerprint = true;
  bool priority = true;
  uint16_t method = kStunBindingMethod;
  uint16_t extraRequired = 0;
};

Bytes build(const Request& r, uint8_t id = 1) {
  const std::array<uint8_t, 12> txid = {id, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Bytes out(256);
  StunWriter w(out, r.method, StunClass::Request, txid);
  w.text(stun_attribute::kUsername, r.username);
  if (r.priority) w.u32(stun_attribute::kPriority, 1853817087);
  if (r.controlling) w.u64(stun_attribute::kIceControlling, 0x1122334455667788ULL);
  if (r.controlled) w.u64(stun_attribute::kIceControlled, 0x1122334455667788ULL);
  if (r.useCandidate) w.flag(stun_attribute::kUseCandidate);
  if (r.extraRequired) w.u32(r.extraRequired, 0);
  if (r.integrity) w.messageIntegrity(r.password);
  if (r.fingerprint) w.fingerprint();
  return {w.bytes().begin(), w.bytes().end()};
}

class IceLite : public ::testing::Test {
 protected:
  IceLiteResponder responder{{"srvr", "server-password-0123456789", "peer"}, 30s};
  Clock::time_point now = Clock::time_point{} + 1h;
  SocketEndpoint peer = SocketEndpoint::v4(192, 168, 1, 20, 54321);
  std::array<uint8_t, IceLiteResponder::kMaxResponseLength> out{};

  IceLiteOutcome send(const Request& r, const SocketEndpoint& from) {
    return responder.handle(build(r), from, now, out);
  }
  StunMessage response(const IceLiteOutcome& o) {
    auto m = StunMessage::parse(std::span<const uint8_t>(out).first(o.responseLength));
    EXPECT_TRUE(m) << describe(m.error());
    return *m;
  }
};

TEST_F(IceLite, AValidCheckIsAnsweredWithTheAddressItCameFrom) {
  const auto o = send({}, peer);
  ASSERT_EQ(o.verdict, IceLiteVerdict::Accepted) << o.reason;
  const auto m = response(o);
  EXPECT_EQ(m.messageClass, StunClass::SuccessResponse);
  EXPECT_EQ(Bytes(m.transactionId.begin(), m.transactionId.end()), Bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  ASSERT_TRUE(m.xorMappedAddress);
  EXPECT_EQ(*m.xorMappedAddress, peer);
  EXPECT_TRUE(stunIntegrityValid(m, "server-password-0123456789"));
  EXPECT_TRUE(stunFingerprintValid(m));
  EXPECT_FALSE(o.nominated);
  EXPECT_FALSE(responder.selected());  // no nomination yet: media has nowhere to go
}

TEST_F(IceLite, UseCandidateNominatesThePath) {
  Request r;
  r.useCandidate = true;
  const auto o = send(r, peer);
  EXPECT_TRUE(o.nominated);
  EXPECT_TRUE(o.pathChanged);
  EXPECT_TRUE(responder.isSelected(peer));
  EXPECT_FALSE(send(r, peer).pathChanged);  // the same path again
}

TEST_F(IceLite, ConsentLapsesWithoutChecksOnTheSelectedPath) {
  Request r;
  r.useCandidate = true;
  send(r, peer);
  now += 20s;
  send({}, peer);  // a consent check keeps it
  now += 29s;
  EXPECT_FALSE(responder.consentExpired(now));
  // Checks from somewhere else do not count for the selected path.
  send({}, SocketEndpoint::v4(10, 0, 0, 9, 1000));
  now += 2s;
  EXPECT_TRUE(responder.consentExpired(now));
}

TEST_F(IceLite, ANominationFromANewAddressMovesTheMedia) {
  Request r;
  r.useCandidate = true;
  send(r, peer);
  const auto moved = SocketEndpoint::v4(192, 168, 1, 20, 60000);  // NAT rebinding
  const auto o = send(r, moved);
  EXPECT_TRUE(o.pathChanged);
  EXPECT_TRUE(responder.isSelected(moved));
  EXPECT_FALSE(responder.isSelected(peer));
}

TEST_F(IceLite, AnIceRestartRetiresTheOldCredentialsButKeepsThePathUntilRenominated) {
  Request r;
  r.useCandidate = true;
  send(r, peer);
  responder.restart({"srv2", "second-password-abcdefghij", "pee2"});
  EXPECT_EQ(send(r, peer).verdict, IceLiteVerdict::Refused);  // old username and password
  EXPECT_TRUE(responder.isSelected(peer));
  Request fresh;
  fresh.username = "srv2:pee2";
  fresh.password = "second-password-abcdefghij";
  fresh.useCandidate = true;
  const auto elsewhere = SocketEndpoint::v4(172, 16, 0, 2, 4000);
  const auto o = send(fresh, elsewhere);
  ASSERT_EQ(o.verdict, IceLiteVerdict::Accepted) << o.reason;
  EXPECT_TRUE(responder.isSelected(elsewhere));
}

TEST_F(IceLite, WrongCredentialsGet401AndChangeNothing) {
  Request wrongUser;
  wrongUser.username = "other:peer";
  wrongUser.useCandidate = true;
  auto o = send(wrongUser, peer);
  EXPECT_EQ(o.verdict, IceLiteVerdict::Refused);
  EXPECT_EQ(response(o).errorCode, 401);
  Request wrongPassword;
  wrongPassword.password = "guess";
  wrongPassword.useCandidate = true;
  o = send(wrongPassword, peer);
  EXPECT_EQ(response(o).errorCode, 401);
  EXPECT_NE(o.reason.find("MESSAGE-INTEGRITY"), std::string_view::npos);
  Request wrongRemote;
  wrongRemote.username = "srvr:someone";
  EXPECT_EQ(response(send(wrongRemote, peer)).errorCode, 401);
  EXPECT_FALSE(responder.selected());
}

TEST_F(IceLite, BothClaimingControlledIsARoleConflict) {
  Request r;
  r.controlling = false;
  r.controlled = true;
  r.useCandidate = true;
  const auto o = send(r, peer);
  const auto m = response(o);
  EXPECT_EQ(m.errorCode, 487);
  EXPECT_TRUE(stunIntegrityValid(m, "server-password-0123456789"));
  EXPECT_FALSE(responder.selected());
}

TEST_F(IceLite, MissingPiecesAndUnknownAttributesAreRefusedWithTheirCodes) {
  Request noIntegrity;
  noIntegrity.integrity = false;
  EXPECT_EQ(response(send(noIntegrity, peer)).errorCode, 400);
  Request noPriority;
  noPriority.priority = false;
  EXPECT_EQ(response(send(noPriority, peer)).errorCode, 400);
  Request unknown;
  unknown.extraRequired = 0x0042;
  EXPECT_EQ(response(send(unknown, peer)).errorCode, 420);
  Request allocate;
  allocate.method = 0x003;  // TURN Allocate
  EXPECT_EQ(response(send(allocate, peer)).errorCode, 400);
}

TEST_F(IceLite, WhatIsNotAProperRequestIsIgnoredSilently) {
  Request noFingerprint;
  noFingerprint.fingerprint = false;
  EXPECT_EQ(send(noFingerprint, peer).verdict, IceLiteVerdict::Ignored);
  Bytes bad = build({});
  bad.back() ^= 1;  // FINGERPRINT wrong
  EXPECT_EQ(responder.handle(bad, peer, now, out).verdict, IceLiteVerdict::Ignored);
  const Bytes rtp = {0x80, 0x6f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto o = responder.handle(rtp, peer, now, out);
  EXPECT_EQ(o.verdict, IceLiteVerdict::Ignored);
  EXPECT_FALSE(o.reason.empty());
  // A response (we never send requests) is not answered either.
  const std::array<uint8_t, 12> txid{};
  Bytes resp(64);
  StunWriter w(resp, kStunBindingMethod, StunClass::SuccessResponse, txid);
  w.fingerprint();
  EXPECT_EQ(responder.handle(w.bytes(), peer, now, out).verdict, IceLiteVerdict::Ignored);
}

}  // namespace
}  // namespace convox::rtc
