// SRTP per-packet cost on a 60-byte Opus packet (12-byte header + 48 bytes
// of payload), both profiles, protect and unprotect. Debian's libsrtp2 is
// built on NSS rather than OpenSSL, so this is where its cost shows.
#include "rtc/srtp_session.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

using namespace convox::rtc;

SrtpKeys keysFor(SrtpProfile profile, bool flip) {
  const size_t n = srtpKeyLength(profile) + srtpSaltLength(profile);
  std::vector<uint8_t> a(n, 0x11), b(n, 0x22);
  return SrtpKeys{profile, flip ? b : a, flip ? a : b};
}

std::vector<uint8_t> opusPacket(uint16_t seq) {
  std::vector<uint8_t> p = {
      0x80, 111, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF};
  p.resize(60, 0x5A);
  return p;
}

void BM_SrtpProtect(benchmark::State& state) {
  const auto profile = static_cast<SrtpProfile>(state.range(0));
  std::string error;
  auto sender = SrtpSession::create(keysFor(profile, false), error);
  std::vector<uint8_t> buf(60 + kSrtpMaxTrailer);
  const auto plain = opusPacket(0);
  uint16_t seq = 0;
  for (auto _ : state) {
    // Restore the plaintext (protect encrypted it in place) with a fresh sequence number.
    std::copy(plain.begin(), plain.end(), buf.begin());
    buf[2] = static_cast<uint8_t>(seq >> 8);
    buf[3] = static_cast<uint8_t>(seq++);
    size_t len = 60;
    benchmark::DoNotOptimize(sender->protectRtp(buf, len));
  }
  state.SetLabel(std::string(srtpProfileName(profile)));
}

void BM_SrtpUnprotect(benchmark::State& state) {
  const auto profile = static_cast<SrtpProfile>(state.range(0));
  std::string error;
  auto sender = SrtpSession::create(keysFor(profile, false), error);
  auto receiver = SrtpSession::create(keysFor(profile, true), error);
  // Protect a window of packets up front so the loop measures unprotect only.
  constexpr size_t kBatch = 4096;
  std::vector<std::vector<uint8_t>> packets(kBatch);
  std::vector<size_t> lengths(kBatch);
  uint16_t seq = 0;
  auto refill = [&] {
    for (size_t i = 0; i < kBatch; ++i) {
      auto p = opusPacket(seq++);
      p.resize(60 + kSrtpMaxTrailer);
      lengths[i] = 60;
      sender->protectRtp(p, lengths[i]);
      packets[i] = std::move(p);
    }
  };
  refill();
  size_t i = 0;
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      refill();
      i = 0;
      state.ResumeTiming();
    }
    size_t len = lengths[i];
    benchmark::DoNotOptimize(receiver->unprotectRtp(packets[i], len));
    ++i;
  }
  state.SetLabel(std::string(srtpProfileName(profile)));
}

BENCHMARK(BM_SrtpProtect)
    ->Arg(static_cast<int>(SrtpProfile::AeadAes128Gcm))
    ->Arg(static_cast<int>(SrtpProfile::Aes128CmHmacSha1_80));
BENCHMARK(BM_SrtpUnprotect)
    ->Arg(static_cast<int>(SrtpProfile::AeadAes128Gcm))
    ->Arg(static_cast<int>(SrtpProfile::Aes128CmHmacSha1_80));

}  // namespace
