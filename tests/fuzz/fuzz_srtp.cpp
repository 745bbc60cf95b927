// libFuzzer target: our SRTP (OpenSSL) differentially against libsrtp2.
// The input, as received, gets the same verdict from both (bar the length
// and parse errors, which the two name differently) and never crashes ours;
// the input, as a plaintext RTP or RTCP packet, protects to the same bytes
// with both, and each unprotects the other's back to the input.
#include "fuzz_support.hpp"
#include "rtc/srtp_session.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using convox::fuzzing::check;
using namespace convox::rtc;

constexpr SrtpProfile kProfiles[] = {SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm,
                                     SrtpProfile::AeadAes256Gcm};

struct Sessions {
  std::unique_ptr<SrtpSession> oursOut, oracleOut, oursIn, oracleIn;
};

Sessions sessions(SrtpProfile profile) {
  const size_t n = srtpKeyLength(profile) + srtpSaltLength(profile);
  std::vector<uint8_t> a(n, 0x3C), b(n, 0xA5);
  std::string error;
  Sessions s;
  s.oursOut = SrtpSession::create({profile, a, b}, error, SrtpImplementation::OpenSsl);
  s.oracleOut = SrtpSession::create({profile, a, b}, error, SrtpImplementation::Libsrtp);
  s.oursIn = SrtpSession::create({profile, b, a}, error, SrtpImplementation::OpenSsl);
  s.oracleIn = SrtpSession::create({profile, b, a}, error, SrtpImplementation::Libsrtp);
  check(s.oursOut && s.oracleOut && s.oursIn && s.oracleIn);
  return s;
}

using Op = SrtpStatus (SrtpSession::*)(std::span<uint8_t>, size_t&);

std::array<uint8_t, 4096> gA, gB;

bool lengthClass(SrtpStatus s) { return s == SrtpStatus::TooShort || s == SrtpStatus::Malformed; }

void sameVerdict(SrtpSession& ours, SrtpSession& oracle, Op op, std::span<const uint8_t> in) {
  std::copy(in.begin(), in.end(), gA.begin());
  std::copy(in.begin(), in.end(), gB.begin());
  size_t la = in.size(), lb = in.size();
  const auto a = (ours.*op)(std::span(gA).first(in.size()), la);
  const auto b = (oracle.*op)(std::span(gB).first(in.size()), lb);
  if (a != SrtpStatus::Ok && b != SrtpStatus::Ok && (lengthClass(a) || lengthClass(b))) return;
  check(a == b);
}

void roundTrip(Sessions& s, Op protect, Op unprotect, std::span<const uint8_t> plain) {
  std::copy(plain.begin(), plain.end(), gA.begin());
  std::copy(plain.begin(), plain.end(), gB.begin());
  size_t la = plain.size(), lb = plain.size();
  const auto a = (*s.oursOut.*protect)(gA, la);
  const auto b = (*s.oracleOut.*protect)(gB, lb);
  if (a != SrtpStatus::Ok || b != SrtpStatus::Ok) {
    // Both refuse a header that runs past the packet, for their own reasons.
    check(a != SrtpStatus::Ok && b != SrtpStatus::Ok);
    return;
  }
  check(la == lb && std::equal(gA.begin(), gA.begin() + static_cast<long>(la), gB.begin()));
  check((*s.oracleIn.*unprotect)(gA, la) == SrtpStatus::Ok);
  check((*s.oursIn.*unprotect)(gB, lb) == SrtpStatus::Ok);
  check(la == plain.size() && std::equal(plain.begin(), plain.end(), gA.begin()));
  check(lb == plain.size() && std::equal(plain.begin(), plain.end(), gB.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > gA.size() - kSrtpMaxTrailer) return 0;
  auto s = sessions(kProfiles[data[0] % 3]);
  const std::span<const uint8_t> packet(data + 1, size - 1);
  const bool rtcp = (data[0] & 0x80) != 0;
  if (rtcp) {
    sameVerdict(*s.oursIn, *s.oracleIn, &SrtpSession::unprotectRtcp, packet);
    if (packet.size() >= 8) roundTrip(s, &SrtpSession::protectRtcp, &SrtpSession::unprotectRtcp, packet);
  } else {
    sameVerdict(*s.oursIn, *s.oracleIn, &SrtpSession::unprotectRtp, packet);
    if (packet.size() >= 12) roundTrip(s, &SrtpSession::protectRtp, &SrtpSession::unprotectRtp, packet);
  }
  return 0;
}
