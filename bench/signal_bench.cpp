// Control-path costs paid per join and per signal message: token
// verification, SignalRequest decoding and SignalResponse encoding.
// Run: build/bench/convox_bench_signal
#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "sfu/signal_codec.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace convox;

const common::SecretLookup kSecrets = [](std::string_view key) -> std::optional<std::string> {
  if (key == "devkey") return std::string("secret");
  return std::nullopt;
};

void BM_VerifyJoinToken(benchmark::State& state) {
  common::ClaimGrants g;
  g.identity = "alice";
  g.name = "Alice";
  g.metadata = R"({"a":1})";
  g.video = common::VideoGrant{};
  g.video->roomJoin = true;
  g.video->room = "my-room";
  const auto now = common::unixSeconds();
  const auto token = common::signAccessToken(g, "devkey", "secret", now, 3600);
  for (auto _ : state) {
    auto r = common::verifyAccessToken(token, kSecrets, now);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_VerifyJoinToken);

void BM_DecodePingReq(benchmark::State& state) {
  livekit::SignalRequest req;
  req.mutable_ping_req()->set_timestamp(1'800'000'000'000);
  req.mutable_ping_req()->set_rtt(20);
  const auto frame = req.SerializeAsString();
  livekit::SignalRequest out;
  for (auto _ : state) {
    auto r = sfu::decodeSignalRequest(frame, true, out);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_DecodePingReq);

void BM_EncodeParticipantUpdate(benchmark::State& state) {
  livekit::SignalResponse msg;
  auto* p = msg.mutable_update()->add_participants();
  p->set_sid("PA_abcdefghijkl");
  p->set_identity("alice");
  p->set_name("Alice");
  p->set_metadata(R"({"a":1})");
  p->set_version(7);
  p->mutable_permission()->set_can_publish(true);
  for (auto _ : state) {
    auto bytes = sfu::encodeSignalResponse(msg);
    benchmark::DoNotOptimize(bytes);
  }
}
BENCHMARK(BM_EncodeParticipantUpdate);

}  // namespace
