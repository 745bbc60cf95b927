// SRTP per-packet cost on a 60-byte Opus packet (12-byte header + 48 bytes
// of payload) and a 1200-byte video packet, every profile, protect and
// unprotect, our OpenSSL implementation against Debian's libsrtp2 (on NSS).
// `openssl_allocs/pkt` counts OpenSSL's own allocations in the loop (ours
// should make none; libsrtp's NSS allocations are not visible here).
#include "rtc/srtp_session.hpp"

#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace convox::rtc;

std::atomic<uint64_t> opensslAllocations{0};

void* countingMalloc(size_t n, const char*, int) {
  opensslAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n);
}
void* countingRealloc(void* p, size_t n, const char*, int) {
  opensslAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, n);
}
void countingFree(void* p, const char*, int) { std::free(p); }

// Before OpenSSL's first allocation, which is after static initialisation.
[[maybe_unused]] const bool countingInstalled =
    CRYPTO_set_mem_functions(countingMalloc, countingRealloc, countingFree) == 1;

SrtpKeys keysFor(SrtpProfile profile, bool flip) {
  const size_t n = srtpKeyLength(profile) + srtpSaltLength(profile);
  std::vector<uint8_t> a(n, 0x11), b(n, 0x22);
  return SrtpKeys{profile, flip ? b : a, flip ? a : b};
}

std::vector<uint8_t> rtpPacket(uint16_t seq, size_t size) {
  std::vector<uint8_t> p = {
      0x80, 111, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF};
  p.resize(size, 0x5A);
  return p;
}

std::string label(SrtpProfile profile, SrtpImplementation impl, size_t size) {
  return std::string(srtpProfileName(profile)) + "/" + std::string(srtpImplementationName(impl)) + "/" +
         std::to_string(size) + "B";
}

void reportAllocations(benchmark::State& state, uint64_t before) {
  state.counters["openssl_allocs/pkt"] = benchmark::Counter(static_cast<double>(opensslAllocations.load() - before) /
                                                            static_cast<double>(state.iterations()));
}

void BM_SrtpProtect(benchmark::State& state) {
  const auto profile = static_cast<SrtpProfile>(state.range(0));
  const auto impl = static_cast<SrtpImplementation>(state.range(1));
  const auto size = static_cast<size_t>(state.range(2));
  std::string error;
  auto sender = SrtpSession::create(keysFor(profile, false), error, impl);
  if (!sender) return state.SkipWithError(error.c_str());
  std::vector<uint8_t> buf(size + kSrtpMaxTrailer);
  const auto plain = rtpPacket(0, size);
  uint16_t seq = 0;
  const uint64_t before = opensslAllocations.load();
  for (auto _ : state) {
    // Restore the plaintext (protect encrypted it in place) with a fresh sequence number.
    std::copy(plain.begin(), plain.end(), buf.begin());
    buf[2] = static_cast<uint8_t>(seq >> 8);
    buf[3] = static_cast<uint8_t>(seq++);
    size_t len = size;
    benchmark::DoNotOptimize(sender->protectRtp(buf, len));
  }
  reportAllocations(state, before);
  state.SetLabel(label(profile, impl, size));
}

void BM_SrtpUnprotect(benchmark::State& state) {
  const auto profile = static_cast<SrtpProfile>(state.range(0));
  const auto impl = static_cast<SrtpImplementation>(state.range(1));
  const auto size = static_cast<size_t>(state.range(2));
  std::string error;
  auto sender = SrtpSession::create(keysFor(profile, false), error, impl);
  auto receiver = SrtpSession::create(keysFor(profile, true), error, impl);
  if (!sender || !receiver) return state.SkipWithError(error.c_str());
  // Protect a window of packets up front so the loop measures unprotect only.
  constexpr size_t kBatch = 4096;
  std::vector<std::vector<uint8_t>> packets(kBatch);
  std::vector<size_t> lengths(kBatch);
  uint16_t seq = 0;
  auto refill = [&] {
    for (size_t i = 0; i < kBatch; ++i) {
      auto p = rtpPacket(seq++, size);
      p.resize(size + kSrtpMaxTrailer);
      lengths[i] = size;
      sender->protectRtp(p, lengths[i]);
      packets[i] = std::move(p);
    }
  };
  refill();
  size_t i = 0;
  uint64_t refillAllocations = 0;
  const uint64_t before = opensslAllocations.load();
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      const uint64_t at = opensslAllocations.load();
      refill();
      refillAllocations += opensslAllocations.load() - at;
      i = 0;
      state.ResumeTiming();
    }
    size_t len = lengths[i];
    benchmark::DoNotOptimize(receiver->unprotectRtp(packets[i], len));
    ++i;
  }
  reportAllocations(state, before + refillAllocations);
  state.SetLabel(label(profile, impl, size));
}

void profiles(benchmark::internal::Benchmark* b) {
  for (auto profile : {SrtpProfile::AeadAes128Gcm, SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::AeadAes256Gcm}) {
    for (auto impl : {SrtpImplementation::OpenSsl, SrtpImplementation::Libsrtp}) {
      for (int size : {60, 1200}) b->Args({static_cast<int>(profile), static_cast<int>(impl), size});
    }
  }
}

BENCHMARK(BM_SrtpProtect)->Apply(profiles);
BENCHMARK(BM_SrtpUnprotect)->Apply(profiles);

}  // namespace
