// libFuzzer target: the STUN parser and the ICE-lite responder. Whatever
// parses is written again with our writer and must parse to the same
// values; whatever the responder answers must itself parse, keyed with the
// local password and fingerprinted.
#include "fuzz_support.hpp"
#include "rtc/ice_lite_responder.hpp"
#include "rtc/stun_message.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace {

using convox::fuzzing::check;
using namespace convox::rtc;

std::array<uint8_t, 2048> gOut;
std::array<uint8_t, 1 << 16> gRepaired;

void put32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

// libFuzzer cannot solve an HMAC or a CRC: give the responder the input with
// its MESSAGE-INTEGRITY (keyed with the responder's password) and
// FINGERPRINT made right, so what lies behind those checks is explored.
std::span<const uint8_t> repaired(const StunMessage& m) {
  const size_t n = m.bytes.size();
  std::copy(m.bytes.begin(), m.bytes.end(), gRepaired.begin());
  if (m.integrityOffset != 0) {
    std::array<uint8_t, 20> header{};
    std::copy(gRepaired.begin(), gRepaired.begin() + 20, header.begin());
    const size_t length = m.integrityOffset + 24 - 20;
    header[2] = static_cast<uint8_t>(length >> 8);
    header[3] = static_cast<uint8_t>(length);
    static std::array<uint8_t, 1 << 16> whole;
    std::copy(header.begin(), header.end(), whole.begin());
    std::copy(gRepaired.begin() + 20, gRepaired.begin() + static_cast<long>(m.integrityOffset), whole.begin() + 20);
    unsigned int out = 0;
    HMAC(EVP_sha1(), "fuzz-password", 13, whole.data(), m.integrityOffset, gRepaired.data() + m.integrityOffset + 4,
         &out);
  }
  if (m.fingerprintOffset != 0) {
    put32(gRepaired.data() + m.fingerprintOffset + 4,
          static_cast<uint32_t>(crc32(0L, gRepaired.data(), static_cast<uInt>(m.fingerprintOffset))) ^ 0x5354554EU);
  }
  return std::span<const uint8_t>(gRepaired).first(n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  const auto m = StunMessage::parse(in);
  if (m) {
    (void)stunFingerprintValid(*m);
    (void)stunIntegrityValid(*m, "fuzz-password");
    StunWriter w(gOut, m->method, m->messageClass, m->transactionId);
    if (!m->username.empty()) w.text(stun_attribute::kUsername, m->username);
    if (m->priority) w.u32(stun_attribute::kPriority, *m->priority);
    if (m->iceControlling) w.u64(stun_attribute::kIceControlling, *m->iceControlling);
    if (m->useCandidate) w.flag(stun_attribute::kUseCandidate);
    if (m->xorMappedAddress) w.xorMappedAddress(*m->xorMappedAddress);
    w.messageIntegrity("fuzz-password").fingerprint();
    check(w.ok());
    const auto again = StunMessage::parse(w.bytes());
    check(again.ok());
    check(again->method == m->method && again->messageClass == m->messageClass);
    check(again->username == m->username && again->priority == m->priority);
    check(again->iceControlling == m->iceControlling && again->useCandidate == m->useCandidate);
    check(again->xorMappedAddress == m->xorMappedAddress);
    check(stunFingerprintValid(*again) && stunIntegrityValid(*again, "fuzz-password"));
  }
  IceLiteResponder responder({"srvr", "fuzz-password", ""}, std::chrono::seconds(30));
  const auto o = responder.handle(m ? repaired(*m) : in, SocketEndpoint::v4(10, 1, 2, 3, 4567),
                                  IceLiteResponder::Clock::now(), gOut);
  if (o.verdict != IceLiteVerdict::Ignored) {
    const auto r = StunMessage::parse(std::span<const uint8_t>(gOut).first(o.responseLength));
    check(r.ok() && stunFingerprintValid(*r));
    check(o.verdict == IceLiteVerdict::Refused || stunIntegrityValid(*r, "fuzz-password"));
  }
  return 0;
}
