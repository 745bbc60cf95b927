// Our SRTP (OpenSSL) against libsrtp2 as the oracle, for every profile:
// the same plaintext protects to the same bytes; what one protects the
// other unprotects; and a hostile delivery (reordering across the sequence
// wrap, duplicates, packets older than the window, flipped bits, cut
// packets, unknown SSRCs) gets the same verdict and output from both.
#include "rtc/srtp_session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace convox::rtc {
namespace {

using Bytes = std::vector<uint8_t>;

SrtpKeys keysFor(SrtpProfile profile, bool flip) {
  const size_t n = srtpKeyLength(profile) + srtpSaltLength(profile);
  Bytes a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<uint8_t>(0x31 + 7 * i);
    b[i] = static_cast<uint8_t>(0xC5 ^ (13 * i));
  }
  return SrtpKeys{profile, flip ? b : a, flip ? a : b};
}

std::unique_ptr<SrtpSession> session(SrtpProfile profile, bool flip, SrtpImplementation impl) {
  std::string error;
  auto s = SrtpSession::create(keysFor(profile, flip), error, impl);
  EXPECT_TRUE(s) << error;
  return s;
}

// An RTP packet with some CSRCs, maybe a one-byte header extension, and a
// payload of any length (0 included).
Bytes rtpPacket(std::mt19937& rng, uint32_t ssrc, uint16_t seq) {
  const int csrcs = static_cast<int>(rng() % 3);
  const bool extension = rng() % 2 == 0;
  Bytes p = {static_cast<uint8_t>(0x80 | (extension ? 0x10 : 0) | csrcs),
             111,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             1,
             2,
             3,
             4,
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  for (int i = 0; i < 4 * csrcs; ++i) p.push_back(static_cast<uint8_t>(rng()));
  if (extension) {
    p.insert(p.end(), {0xBE, 0xDE, 0, 1, 0x10, 0x42, 0, 0});
  }
  const size_t payload = rng() % 5 == 0 ? 0 : rng() % 1200;
  for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(rng()));
  return p;
}

// A receiver report (or a longer compound) from `ssrc`.
Bytes rtcpPacket(std::mt19937& rng, uint32_t ssrc) {
  Bytes p = {0x81,
             201,
             0,
             7,
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  const size_t more = 24 + 4 * (rng() % 40);
  for (size_t i = 0; i < more; ++i) p.push_back(static_cast<uint8_t>(rng()));
  return p;
}

struct Result {
  SrtpStatus status;
  Bytes output;
  bool operator==(const Result&) const = default;
};

using Op = SrtpStatus (SrtpSession::*)(std::span<uint8_t>, size_t&);

Result apply(SrtpSession& s, Op op, const Bytes& in) {
  Bytes buf(in.size() + kSrtpMaxTrailer);
  std::copy(in.begin(), in.end(), buf.begin());
  size_t len = in.size();
  const auto status = (s.*op)(buf, len);
  if (status != SrtpStatus::Ok) return {status, {}};
  buf.resize(len);
  return {status, buf};
}

std::string show(SrtpStatus s) { return std::string(describe(s)); }

class SrtpOracle : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  SrtpProfile profile() const { return GetParam(); }
};

TEST_P(SrtpOracle, BothProtectToTheSameBytesAndUnprotectEachOthers) {
  std::mt19937 rng(7);
  auto oursOut = session(profile(), false, SrtpImplementation::OpenSsl);
  auto oracleOut = session(profile(), false, SrtpImplementation::Libsrtp);
  auto oursIn = session(profile(), true, SrtpImplementation::OpenSsl);
  auto oracleIn = session(profile(), true, SrtpImplementation::Libsrtp);
  // Across the sequence wrap (ROC 0 -> 1), two SSRCs interleaved, one
  // retransmission (same sequence number again) now and then.
  uint16_t seqA = 65000, seqB = 100;
  Bytes lastA;
  int retransmissions = 0;
  for (int i = 0; i < 1500; ++i) {
    const bool a = rng() % 3 != 0;
    const bool again = a && !lastA.empty() && i % 10 == 0;  // a NACK answered: the same packet once more
    const uint16_t seq = again ? static_cast<uint16_t>(seqA - 1) : a ? seqA++ : seqB++;
    const auto plain = again ? lastA : rtpPacket(rng, a ? 0x11111111 : 0x22222222, seq);
    if (a) lastA = plain;
    retransmissions += again ? 1 : 0;
    const auto ours = apply(*oursOut, &SrtpSession::protectRtp, plain);
    const auto oracle = apply(*oracleOut, &SrtpSession::protectRtp, plain);
    ASSERT_EQ(ours.status, SrtpStatus::Ok) << i;
    ASSERT_EQ(oracle.status, SrtpStatus::Ok) << i;
    ASSERT_EQ(ours.output, oracle.output) << "packet " << i << " seq " << seq;
    ASSERT_NE(ours.output, plain);
    if (again) continue;  // the receivers refuse the replay; that is the hostile-delivery test's business
    const auto byOracle = apply(*oracleIn, &SrtpSession::unprotectRtp, ours.output);
    ASSERT_EQ(byOracle.status, SrtpStatus::Ok) << show(byOracle.status) << " at " << i;
    EXPECT_EQ(byOracle.output, plain);
    const auto byOurs = apply(*oursIn, &SrtpSession::unprotectRtp, oracle.output);
    ASSERT_EQ(byOurs.status, SrtpStatus::Ok) << show(byOurs.status) << " at " << i;
    EXPECT_EQ(byOurs.output, plain);
  }
  EXPECT_GT(retransmissions, 50);
  for (int i = 0; i < 300; ++i) {
    const auto plain = rtcpPacket(rng, i % 2 ? 0x11111111 : 0x33333333);
    const auto ours = apply(*oursOut, &SrtpSession::protectRtcp, plain);
    const auto oracle = apply(*oracleOut, &SrtpSession::protectRtcp, plain);
    ASSERT_EQ(ours.status, SrtpStatus::Ok);
    ASSERT_EQ(ours.output, oracle.output) << "rtcp " << i;
    const auto byOracle = apply(*oracleIn, &SrtpSession::unprotectRtcp, ours.output);
    ASSERT_EQ(byOracle.status, SrtpStatus::Ok) << show(byOracle.status);
    EXPECT_EQ(byOracle.output, plain);
    const auto byOurs = apply(*oursIn, &SrtpSession::unprotectRtcp, oracle.output);
    ASSERT_EQ(byOurs.status, SrtpStatus::Ok) << show(byOurs.status);
    EXPECT_EQ(byOurs.output, plain);
  }
}

// Feeds `deliveries` to ours and to libsrtp; they must agree on each.
struct Tally {
  int accepted = 0, duplicates = 0, old = 0, authFailed = 0, otherRefusals = 0;
};

Tally deliverToBoth(SrtpProfile profile, const std::vector<Bytes>& deliveries, Op op) {
  auto ours = session(profile, true, SrtpImplementation::OpenSsl);
  auto oracle = session(profile, true, SrtpImplementation::Libsrtp);
  Tally t;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const auto a = apply(*ours, op, deliveries[i]);
    const auto b = apply(*oracle, op, deliveries[i]);
    const bool refusedByBoth = a.status != SrtpStatus::Ok && b.status != SrtpStatus::Ok;
    // Cut packets: libsrtp's parse and length errors are not ours one for one.
    const bool lengthClass = a.status == SrtpStatus::TooShort || a.status == SrtpStatus::Malformed;
    if (!(refusedByBoth && lengthClass)) {
      EXPECT_EQ(a, b) << "delivery " << i << ": ours " << show(a.status) << ", libsrtp " << show(b.status);
    }
    switch (a.status) {
      case SrtpStatus::Ok:
        ++t.accepted;
        break;
      case SrtpStatus::ReplayDuplicate:
        ++t.duplicates;
        break;
      case SrtpStatus::ReplayOld:
        ++t.old;
        break;
      case SrtpStatus::AuthFailed:
        ++t.authFailed;
        break;
      default:
        ++t.otherRefusals;
    }
  }
  return t;
}

TEST_P(SrtpOracle, ProtectRefusesAnIndexOlderThanTheWindowAsLibsrtpDoes) {
  std::mt19937 rng(23);
  auto ours = session(profile(), false, SrtpImplementation::OpenSsl);
  auto oracle = session(profile(), false, SrtpImplementation::Libsrtp);
  for (uint16_t seq : {uint16_t{7000}, uint16_t{6500}, uint16_t{5976}, uint16_t{5977}, uint16_t{9000}, uint16_t{7976},
                       uint16_t{7977}}) {
    const auto plain = rtpPacket(rng, 0x77777777, seq);
    const auto a = apply(*ours, &SrtpSession::protectRtp, plain);
    EXPECT_EQ(a, apply(*oracle, &SrtpSession::protectRtp, plain)) << "seq " << seq;
    // 1024 behind the highest sent is refused (a new payload under an old index would reuse its keystream).
    const bool old = (seq == 5976) || (seq == 7976);
    EXPECT_EQ(a.status, old ? SrtpStatus::ReplayOld : SrtpStatus::Ok) << "seq " << seq;
  }
}

TEST_P(SrtpOracle, AHostileRtpDeliveryGetsTheSameVerdictsFromBoth) {
  std::mt19937 rng(11);
  auto sender = session(profile(), false, SrtpImplementation::OpenSsl);
  std::vector<Bytes> sent;
  uint16_t seq = 64000;  // the wrap comes after 1536 packets
  for (int i = 0; i < 3000; ++i) {
    sent.push_back(apply(*sender, &SrtpSession::protectRtp, rtpPacket(rng, 0xABCDEF01, seq++)).output);
  }
  // Reorder within 40 places, so some arrive late across the wrap.
  std::vector<Bytes> deliveries = sent;
  for (size_t i = 0; i + 40 < deliveries.size(); i += 20) {
    std::shuffle(deliveries.begin() + static_cast<long>(i), deliveries.begin() + static_cast<long>(i + 40), rng);
  }
  int expectedDuplicates = 0, expectedOld = 0, expectedTampered = 0, cut = 0;
  std::vector<Bytes> hostile;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    if (i % 113 == 0) {  // cut short
      Bytes c = deliveries[i];
      c.resize(rng() % 14);
      hostile.push_back(c);
      ++cut;
    }
    if (i % 89 == 0) {  // a flipped bit in the payload or tag, before the real one (so not a replay)
      Bytes t = deliveries[i];
      t[12 + rng() % (t.size() - 12)] ^= static_cast<uint8_t>(1U << (rng() % 8));
      hostile.push_back(t);
      ++expectedTampered;
    }
    hostile.push_back(deliveries[i]);
    if (i % 97 == 0) {  // the same packet again
      hostile.push_back(deliveries[i]);
      ++expectedDuplicates;
    }
    if (i % 151 == 0 && i >= 1500) {  // from well before the 1024-packet window
      hostile.push_back(sent[i - 1400]);
      ++expectedOld;
    }
  }
  // Unknown SSRC, garbage tag.
  Bytes stranger = deliveries[5];
  stranger[8] ^= 0xFF;
  hostile.push_back(stranger);
  ++expectedTampered;

  const auto t = deliverToBoth(profile(), hostile, &SrtpSession::unprotectRtp);
  EXPECT_EQ(t.accepted, 3000);
  EXPECT_EQ(t.duplicates, expectedDuplicates);
  EXPECT_EQ(t.old, expectedOld);
  EXPECT_EQ(t.authFailed, expectedTampered);
  EXPECT_EQ(t.otherRefusals, cut);
}

TEST_P(SrtpOracle, AHostileRtcpDeliveryGetsTheSameVerdictsFromBoth) {
  std::mt19937 rng(13);
  auto sender = session(profile(), false, SrtpImplementation::OpenSsl);
  std::vector<Bytes> sent;
  for (int i = 0; i < 600; ++i) {
    sent.push_back(apply(*sender, &SrtpSession::protectRtcp, rtcpPacket(rng, 0x5EED0001 + (i % 3))).output);
  }
  std::vector<size_t> order(sent.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = 0; i + 1 < order.size(); i += 3) std::swap(order[i], order[i + 1]);  // a little reordering
  std::vector<Bytes> hostile;
  int duplicates = 0, old = 0, tampered = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    hostile.push_back(sent[i]);
    if (k % 41 == 0) {
      hostile.push_back(sent[i]);
      ++duplicates;
    }
    if (k % 53 == 0 && i >= 450) {  // 150 behind on its SSRC, whose window holds the last 128
      hostile.push_back(sent[i - 450]);
      ++old;
    }
    if (k % 37 == 0) {
      Bytes t = sent[i];
      t[8 + rng() % (t.size() - 8)] ^= 0x20;
      hostile.push_back(t);
      ++tampered;
    }
  }
  const auto t = deliverToBoth(profile(), hostile, &SrtpSession::unprotectRtcp);
  EXPECT_EQ(t.accepted, 600);
  EXPECT_EQ(t.old, old);
  EXPECT_EQ(t.otherRefusals, 0);
  // A tampered copy arriving after its original may be refused as a replay
  // rather than a forgery; both sides must agree on which (checked above).
  EXPECT_EQ(t.duplicates + t.authFailed + t.old, duplicates + tampered + old);
}

TEST_P(SrtpOracle, AWrongKeyIsRefusedAndLeavesTheStreamUnharmed) {
  std::mt19937 rng(17);
  const auto plain = rtpPacket(rng, 0x01020304, 9);
  std::string error;
  SrtpKeys other = keysFor(profile(), false);
  other.localKeySalt[0] ^= 1;
  auto stranger = SrtpSession::create(other, error, SrtpImplementation::OpenSsl);
  auto sender = session(profile(), false, SrtpImplementation::OpenSsl);
  auto receiver = session(profile(), true, SrtpImplementation::OpenSsl);
  EXPECT_EQ(
      apply(*receiver, &SrtpSession::unprotectRtp, apply(*stranger, &SrtpSession::protectRtp, plain).output).status,
      SrtpStatus::AuthFailed);
  // The forged packet did not take sequence number 9: the real one still gets in.
  const auto real =
      apply(*receiver, &SrtpSession::unprotectRtp, apply(*sender, &SrtpSession::protectRtp, plain).output);
  EXPECT_EQ(real.status, SrtpStatus::Ok);
  EXPECT_EQ(real.output, plain);
}

TEST_P(SrtpOracle, MalformedHeadersAreRefusedWithAReason) {
  auto ours = session(profile(), false, SrtpImplementation::OpenSsl);
  // An extension header claiming 200 words in a 40-byte packet.
  Bytes p(40, 0);
  p[0] = 0x90;
  p[12] = 0xBE;
  p[13] = 0xDE;
  p[15] = 200;
  EXPECT_EQ(apply(*ours, &SrtpSession::protectRtp, p).status, SrtpStatus::Malformed);
  EXPECT_EQ(apply(*ours, &SrtpSession::unprotectRtp, p).status, SrtpStatus::Malformed);
  // Fifteen CSRCs (60 bytes) in a 30-byte packet.
  Bytes q(30, 0);
  q[0] = 0x8F;
  EXPECT_EQ(apply(*ours, &SrtpSession::unprotectRtp, q).status, SrtpStatus::Malformed);
  EXPECT_EQ(apply(*ours, &SrtpSession::unprotectRtcp, Bytes(10, 0x80)).status, SrtpStatus::TooShort);
  EXPECT_NE(describe(SrtpStatus::Malformed).find("extension"), std::string_view::npos);
}

TEST_P(SrtpOracle, UnencryptedSrtcpIsRefusedUnderAesCmAsLibsrtpRefusesIt) {
  std::mt19937 rng(19);
  auto sender = session(profile(), false, SrtpImplementation::OpenSsl);
  auto packet = apply(*sender, &SrtpSession::protectRtcp, rtcpPacket(rng, 0x0BADF00D)).output;
  // The E flag: the first bit of the index word (after the tag for GCM).
  const size_t e = profile() == SrtpProfile::Aes128CmHmacSha1_80 ? packet.size() - 14 : packet.size() - 4;
  packet[e] &= 0x7F;
  auto ours = session(profile(), true, SrtpImplementation::OpenSsl);
  auto oracle = session(profile(), true, SrtpImplementation::Libsrtp);
  const auto a = apply(*ours, &SrtpSession::unprotectRtcp, packet);
  EXPECT_EQ(a, apply(*oracle, &SrtpSession::unprotectRtcp, packet));
  // GCM authenticates an unencrypted packet (this one's tag no longer fits).
  EXPECT_EQ(a.status, profile() == SrtpProfile::Aes128CmHmacSha1_80 ? SrtpStatus::Unencrypted : SrtpStatus::AuthFailed);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpOracle,
                         ::testing::Values(SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm,
                                           SrtpProfile::AeadAes256Gcm),
                         [](const auto& info) {
                           switch (info.param) {
                             case SrtpProfile::Aes128CmHmacSha1_80:
                               return std::string("AesCmHmacSha1_80");
                             case SrtpProfile::AeadAes128Gcm:
                               return std::string("AeadAes128Gcm");
                             case SrtpProfile::AeadAes256Gcm:
                               return std::string("AeadAes256Gcm");
                           }
                           return std::string("unknown");
                         });

TEST(SrtpImplementationName, RoundTripsAndRefusesUnknownNames) {
  EXPECT_EQ(parseSrtpImplementation("openssl"), SrtpImplementation::OpenSsl);
  EXPECT_EQ(parseSrtpImplementation("libsrtp"), SrtpImplementation::Libsrtp);
  EXPECT_EQ(parseSrtpImplementation("nss"), std::nullopt);
  EXPECT_EQ(srtpImplementationName(SrtpImplementation::Libsrtp), "libsrtp");
}

}  // namespace
}  // namespace convox::rtc
