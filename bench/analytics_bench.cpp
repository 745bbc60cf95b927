// Times each /v1/analytics endpoint over a store holding N agent turns
// (default 100,000: 10,000 conversations of 10 exchanges, 3 usage records
// each, a provider event on every tenth turn), on SQLite and, when
// CONVOX_TEST_DATABASE_URL is set, on that PostgreSQL. The store is filled
// through the Repository (what ingest does, minus HTTP), then every endpoint
// is called through ControlApi::handle and its time per call printed.
//   convox_bench_analytics [turns]
#include "common/http_server.hpp"
#include "control_api/control_api.hpp"
#include "control_api/repository.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using namespace convox::control_api;
using Clock = std::chrono::steady_clock;

constexpr int64_t kT0 = 1793491200000;  // 2026-11-01T00:00:00Z
constexpr int kTurnsPerCall = 10;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void fill(Repository& repo, const std::string& team, int turns) {
  uint64_t seed = 7;
  const auto next = [&](int64_t lo, int64_t hi) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + static_cast<int64_t>((seed >> 33) % static_cast<uint64_t>(hi - lo + 1));
  };
  const int calls = turns / kTurnsPerCall;
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    ConversationRecord c;
    c.id = "c" + std::to_string(i);
    c.agentId = i % 4 == 0 ? "agent_b" : "agent_a";
    c.status = "created";
    c.traceId = "t" + c.id;
    c.room = "call_" + c.id;
    c.createdAt = kT0 + int64_t{i} * 250'000;  // 10,000 calls over about 29 days
    repo.createConversation(team, c);
    repo.changeStatus(team, c.id, {"in_progress", {}, {}}, c.createdAt + 500);
    for (int j = 0; j < kTurnsPerCall; ++j) {
      TurnRecord t;
      t.turnId = "a" + std::to_string(j);
      t.role = "agent";
      t.timings.userSpeechEnd = c.createdAt + 1000 + int64_t{j} * 15'000;
      t.timings.sttFinal = *t.timings.userSpeechEnd + next(80, 600);
      t.timings.llmFirstToken = *t.timings.sttFinal + next(150, 1500);
      t.timings.ttsFirstAudio = *t.timings.llmFirstToken + next(60, 400);
      t.timings.firstPacketOut = *t.timings.ttsFirstAudio + next(1, 40);
      t.startedAt = *t.timings.firstPacketOut;
      t.providers = {j % 2 ? "deepgram" : "sarvam", j % 3 ? "openai" : "anthropic", "elevenlabs"};
      if ((i * kTurnsPerCall + j) % 10 == 0) {
        t.providerEvents.push_back({"llm", "groq", "timeout", "no first token", std::nullopt});
        t.providerEvents.push_back({"llm", "groq", "fallback", std::nullopt, "openai"});
      }
      repo.addTurn(team, c.id, t, t.startedAt, c.agentId);
    }
    const std::vector<UsageRecord> usage{
        {"s", "stt", "deepgram", "nova-3", "audio_seconds", next(30, 300) * 1'000'000, next(1000, 9000),
         c.createdAt + 200'000, "price_table"},
        {"i", "llm", "openai", "gpt-4o-mini", "input_tokens", next(500, 9000) * 1'000'000, next(100, 1000),
         c.createdAt + 200'000, "price_table"},
        {"c", "tts", "elevenlabs", "eleven_flash_v2_5", "characters", next(200, 2000) * 1'000'000, std::nullopt,
         c.createdAt + 200'000, ""}};
    for (const auto& u : usage) repo.addUsage(team, c.id, u, c.agentId);
    repo.changeStatus(team, c.id, {"ended", {}, {}}, c.createdAt + 180'000);
  }
  std::printf("  filled %d turns in %d conversations in %.1f s\n", calls * kTurnsPerCall, calls, msSince(start) / 1000);
}

void timeEndpoints(ControlApi& api, const std::string& key) {
  const std::vector<std::string> targets{
      "/v1/analytics/overview?from=2026-11-01&to=2026-12-01",
      "/v1/analytics/cost?from=2026-11-01&to=2026-12-01",
      "/v1/analytics/cost?from=2026-11-01&to=2026-12-01&bucket=hour",
      "/v1/analytics/latency?from=2026-11-01&to=2026-12-01",
      "/v1/analytics/latency?from=2026-11-01&to=2026-12-01&agent_id=agent_b",
      "/v1/analytics/providers?from=2026-11-01&to=2026-12-01",
      "/v1/analytics/latency?from=2026-11-10&to=2026-11-11",
  };
  for (const auto& target : targets) {
    std::vector<double> times;
    size_t bytes = 0;
    for (int i = 0; i < 5; ++i) {
      convox::common::HttpRequest req{convox::common::http::verb::get, target, 11};
      req.set(convox::common::http::field::authorization, "Bearer " + key);
      const auto start = Clock::now();
      const auto res = api.handle(req);
      times.push_back(msSince(start));
      bytes = res.body().size();
      if (res.result() != convox::common::http::status::ok) {
        std::fprintf(stderr, "%s: HTTP %d %s\n", target.c_str(), static_cast<int>(res.result_int()),
                     res.body().c_str());
        std::exit(1);
      }
    }
    std::sort(times.begin(), times.end());
    std::printf("  %-70s median %7.1f ms  min %7.1f ms  (%zu bytes)\n", target.c_str(), times[2], times[0], bytes);
  }
}

// `maintain` opens a second connection for the upkeep a live store gets in
// the background (PostgreSQL's autovacuum, which index-only scans need).
void run(const char* name, std::unique_ptr<SqlConnection> connection, int turns,
         const std::function<void()>& maintain) {
  std::printf("%s:\n", name);
  Repository repo(std::move(connection));
  const auto team = repo.createTeam("bench");
  const auto key = repo.createApiKey(team, "bench").secret;
  fill(repo, team, turns);
  if (maintain) maintain();
  ControlApi api(repo, CallSettings{});
  timeEndpoints(api, key);
}

}  // namespace

int main(int argc, char** argv) {
  const int turns = argc > 1 ? std::atoi(argv[1]) : 100'000;
  if (turns < kTurnsPerCall) {
    std::fprintf(stderr, "usage: %s [turns >= %d]\n", argv[0], kTurnsPerCall);
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("convox-analytics-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // synchronous=normal: the fill is not what is measured.
  const auto db = (dir / "convox.db").string();
  run("sqlite", openSqlite(db, 1, SqliteSynchronous::Normal), turns, [&] { openSqlite(db)->execScript("ANALYZE;"); });
  std::filesystem::remove_all(dir);
  if (const char* url = std::getenv("CONVOX_TEST_DATABASE_URL"); url && *url) {
    run("postgres", openPostgres(url, 1), turns, [&] {
      openPostgres(url)->execScript("VACUUM ANALYZE turns, usage_records, conversations, turn_provider_events;");
    });
  } else {
    std::printf("postgres: skipped (CONVOX_TEST_DATABASE_URL not set)\n");
  }
  return 0;
}
