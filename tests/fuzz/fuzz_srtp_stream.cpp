// libFuzzer target: our SRTP (OpenSSL) against libsrtp2 over a whole
// stream, where fuzz_srtp sees one packet. The input is a script: a sender
// protects packets of a few SSRCs as its sequence numbers advance (across
// the 16-bit wrap, so the rollover counter moves), and a receiver is handed
// any of them in any order, again, or with a flipped bit. Both
// implementations keep their state from packet to packet; each step must get
// the same verdict and the same plaintext from both, the replay windows and
// rollover guesses included.
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
using convox::fuzzing::Reader;
using namespace convox::rtc;

constexpr SrtpProfile kProfiles[] = {SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes128Gcm,
                                     SrtpProfile::AeadAes256Gcm};
constexpr size_t kStreams = 4;
constexpr size_t kHistory = 64;     // protected packets kept for delivery
constexpr size_t kMaxSteps = 4096;  // bounds one input's time

struct Pair {
  std::unique_ptr<SrtpSession> ours, oracle;
};

Pair pair(SrtpProfile profile, bool receiver) {
  const size_t n = srtpKeyLength(profile) + srtpSaltLength(profile);
  std::vector<uint8_t> a(n, 0x5A), b(n, 0xC3);
  std::string error;
  Pair p;
  p.ours = SrtpSession::create({profile, receiver ? b : a, receiver ? a : b}, error, SrtpImplementation::OpenSsl);
  p.oracle = SrtpSession::create({profile, receiver ? b : a, receiver ? a : b}, error, SrtpImplementation::Libsrtp);
  check(p.ours && p.oracle);
  return p;
}

struct Sent {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> plain;
  bool rtcp = false;
};

std::array<uint8_t, 256> gA, gB;

std::vector<uint8_t> rtpPlain(uint32_t ssrc, uint16_t seq, uint8_t fill, size_t payload) {
  std::vector<uint8_t> p = {0x80,
                            111,
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            0,
                            0,
                            static_cast<uint8_t>(seq >> 8),
                            static_cast<uint8_t>(seq),
                            static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  p.insert(p.end(), payload, fill);
  return p;
}

// A receiver report, with one report block (of `fill`) when `fill` is odd.
std::vector<uint8_t> rtcpPlain(uint32_t ssrc, uint8_t fill) {
  const bool block = (fill & 1) != 0;
  std::vector<uint8_t> p = {static_cast<uint8_t>(block ? 0x81 : 0x80),
                            201,
                            0,
                            static_cast<uint8_t>(block ? 7 : 1),
                            static_cast<uint8_t>(ssrc >> 24),
                            static_cast<uint8_t>(ssrc >> 16),
                            static_cast<uint8_t>(ssrc >> 8),
                            static_cast<uint8_t>(ssrc)};
  if (block) p.insert(p.end(), 24, fill);
  return p;
}

bool lengthClass(SrtpStatus s) { return s == SrtpStatus::TooShort || s == SrtpStatus::Malformed; }

// Both senders protect `plain`; their bytes must be the same.
bool protect(Pair& sender, const std::vector<uint8_t>& plain, bool rtcp, Sent& out) {
  std::copy(plain.begin(), plain.end(), gA.begin());
  std::copy(plain.begin(), plain.end(), gB.begin());
  size_t la = plain.size(), lb = plain.size();
  const auto op = rtcp ? &SrtpSession::protectRtcp : &SrtpSession::protectRtp;
  const auto a = (*sender.ours.*op)(gA, la);
  const auto b = (*sender.oracle.*op)(gB, lb);
  check(a == b);
  if (a != SrtpStatus::Ok) return false;
  check(la == lb && std::equal(gA.begin(), gA.begin() + static_cast<long>(la), gB.begin()));
  out.bytes.assign(gA.begin(), gA.begin() + static_cast<long>(la));
  out.plain = plain;
  out.rtcp = rtcp;
  return true;
}

// Both receivers get `bytes`: the same verdict, and on success the packet
// that was sent.
void deliver(Pair& receiver, const Sent& sent, std::span<const uint8_t> bytes) {
  std::copy(bytes.begin(), bytes.end(), gA.begin());
  std::copy(bytes.begin(), bytes.end(), gB.begin());
  size_t la = bytes.size(), lb = bytes.size();
  const auto op = sent.rtcp ? &SrtpSession::unprotectRtcp : &SrtpSession::unprotectRtp;
  const auto a = (*receiver.ours.*op)(std::span(gA).first(bytes.size()), la);
  const auto b = (*receiver.oracle.*op)(std::span(gB).first(bytes.size()), lb);
  // A flipped bit in the header can make it run past the packet: the two
  // name that differently (and libsrtp may check the replay window first).
  if (a != SrtpStatus::Ok && b != SrtpStatus::Ok && (lengthClass(a) || lengthClass(b))) return;
  check(a == b);
  if (a != SrtpStatus::Ok) return;
  check(la == sent.plain.size() && std::equal(sent.plain.begin(), sent.plain.end(), gA.begin()));
  check(lb == sent.plain.size() && std::equal(sent.plain.begin(), sent.plain.end(), gB.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  Reader in({data, size});
  const SrtpProfile profile = kProfiles[in.u8() % 3];
  auto sender = pair(profile, false);
  auto receiver = pair(profile, true);
  std::array<uint16_t, kStreams> seq{};
  seq.fill(in.u16());  // where the streams start: near the wrap or not
  std::vector<Sent> history;
  size_t next = 0;  // the history slot the next packet takes
  for (size_t step = 0; step < kMaxSteps && !in.empty(); ++step) {
    const uint8_t op = in.u8();
    const uint8_t arg = in.u8();
    const size_t stream = (op >> 2) % kStreams;
    const uint32_t ssrc = 0x1000 + static_cast<uint32_t>(stream);
    switch (op & 3) {
      case 0: {  // the sender moves on (1 to 4096 numbers) and sends
        seq[stream] = static_cast<uint16_t>(seq[stream] + 1 + ((arg & 0x0F) << 8) * (arg >> 7));
        Sent s;
        if (!protect(sender, rtpPlain(ssrc, seq[stream], arg, arg % 48), false, s)) break;
        if (history.size() < kHistory) {
          history.push_back(std::move(s));
        } else {
          history[next] = std::move(s);
        }
        next = (next + 1) % kHistory;
        break;
      }
      case 1: {  // a sender report or receiver report
        Sent s;
        if (!protect(sender, rtcpPlain(ssrc, arg), true, s)) break;
        deliver(receiver, s, s.bytes);
        break;
      }
      case 2:  // a kept packet arrives (first time, again, late)
        if (!history.empty()) {
          const auto& s = history[arg % history.size()];
          deliver(receiver, s, s.bytes);
        }
        break;
      case 3:  // a kept packet arrives with a bit flipped
        if (!history.empty()) {
          const auto& s = history[arg % history.size()];
          auto bytes = s.bytes;
          const uint8_t where = in.u8();
          bytes[where % bytes.size()] ^= static_cast<uint8_t>(1U << (where % 8));
          deliver(receiver, s, bytes);
        }
        break;
    }
  }
  return 0;
}
