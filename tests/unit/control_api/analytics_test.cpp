// /v1/analytics/*: sums, counts and percentiles over the turns and usage the
// worker posted, checked against values this test computes on its own, on
// both stores; team isolation, range and agent filters; and the turn fields
// (providers, provider_events) the provider dimension needs.
#include "api_test_fixture.hpp"
#include "iso_time.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace convox::control_api::testing {
namespace {

using common::http::status;
using common::http::verb;
namespace json = boost::json;

constexpr int64_t kT0 = 1793491200000;  // 2026-11-01T00:00:00Z
constexpr int64_t kHour = 3'600'000;
constexpr int kConversations = 10;
constexpr int kTurnsEach = 19;  // odd, so that p95 and p99 fall between ranks

// Nearest rank on a sorted copy: the value at index ceil(p/100 n) - 1.
int64_t nearestRank(std::vector<int64_t> values, int p) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(static_cast<double>(p) / 100.0 * static_cast<double>(values.size())));
  return values[rank - 1];
}

struct Expected {
  std::map<std::string, std::vector<int64_t>> stage;                           // stage -> latencies
  std::map<std::string, std::vector<int64_t>> sttByProvider;                   // provider -> stt latencies
  std::map<std::string, std::map<std::string, std::vector<int64_t>>> byAgent;  // agent -> stage -> latencies
  int64_t costMicros = 0;
  int64_t groqTimeouts = 0, groqFallbacks = 0, elevenErrors = 0;
  int64_t served = 0;
  std::map<std::string, int64_t> sttServed;  // provider -> agent turns
};

class AnalyticsTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    uint64_t seed = 12345;
    const auto next = [&](int64_t lo, int64_t hi) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      return lo + static_cast<int64_t>((seed >> 33) % static_cast<uint64_t>(hi - lo + 1));
    };
    for (int i = 0; i < kConversations; ++i) {
      const auto id = "k" + std::to_string(i);
      const std::string agent = i < 6 ? "a1" : "a2";
      const int64_t created = kT0 + i * kHour;
      conversation(teamId_, id, agent, created);
      repo().changeStatus(teamId_, id, {"in_progress", {}, {}}, created + 1000);
      repo().changeStatus(teamId_, id, {i == 9 ? "failed" : "ended", {}, {}}, created + 1000 + int64_t{i + 1} * 60'000);
      for (int j = 0; j < kTurnsEach; ++j) {
        const int64_t speechEnd = created + 5000 + int64_t{j} * 10'000;
        const int64_t stt = speechEnd + next(50, 400);
        const int64_t llm = stt + next(100, 900);
        const int64_t tts = llm + next(50, 300);
        const int64_t out = tts + next(1, 30);
        const std::string sttProvider = j % 2 ? "sarvam" : "deepgram";
        const auto tid = std::to_string(j);
        // The user's turn carries recognition timings too; analytics count
        // the exchange once, from the agent turn.
        post(id, json::serialize(json::object{{"turn_id", "u" + tid},
                                              {"role", "user"},
                                              {"started_at", speechEnd - 900},
                                              {"timings", {{"user_speech_end", speechEnd}, {"stt_final", stt}}},
                                              {"providers", {{"stt", sttProvider}}}}));
        json::array events;
        const int n = i * kTurnsEach + j;
        if (n % 5 == 0) {
          events.push_back(
              {{"stage", "llm"}, {"provider", "groq"}, {"event", "timeout"}, {"reason", "no first token in 2 s"}});
          events.push_back({{"stage", "llm"}, {"provider", "groq"}, {"event", "fallback"}, {"to", "openai"}});
          ++expected_.groqTimeouts;
          ++expected_.groqFallbacks;
        }
        if (n % 7 == 0) {
          events.push_back({{"stage", "tts"}, {"provider", "elevenlabs"}, {"event", "error"}, {"reason", "HTTP 500"}});
          ++expected_.elevenErrors;
        }
        post(id, json::serialize(
                     json::object{{"turn_id", "a" + tid},
                                  {"role", "agent"},
                                  {"started_at", out},
                                  {"timings",
                                   {{"user_speech_end", speechEnd},
                                    {"stt_final", stt},
                                    {"llm_first_token", llm},
                                    {"tts_first_audio", tts},
                                    {"first_packet_out", out}}},
                                  {"providers", {{"stt", sttProvider}, {"llm", "openai"}, {"tts", "elevenlabs"}}},
                                  {"provider_events", std::move(events)}}));
        const std::map<std::string, int64_t> lat{
            {"stt", stt - speechEnd}, {"llm", llm - stt}, {"tts", tts - llm}, {"voice_to_voice", out - speechEnd}};
        for (const auto& [stage, ms] : lat) {
          expected_.stage[stage].push_back(ms);
          expected_.byAgent[agent][stage].push_back(ms);
        }
        expected_.sttByProvider[sttProvider].push_back(stt - speechEnd);
        ++expected_.served;
        ++expected_.sttServed[sttProvider];
      }
      // (60 + i) s of nova-3 at $0.0048/min = (60 + i) * 80 micro-USD;
      // 1000 (i + 1) gpt-4o-mini input tokens at $0.15/1M = 150 (i + 1).
      usage(teamId_, id, "s" + std::to_string(i), "stt", "deepgram", "nova-3", "audio_seconds", std::to_string(60 + i),
            created + 10'000);
      usage(teamId_, id, "l" + std::to_string(i), "llm", "openai", "gpt-4o-mini", "input_tokens",
            std::to_string(1000 * (i + 1)), created + 20'000);
      expected_.costMicros += (60 + i) * 80 + 150 * (i + 1);
    }
    // On the second day, and one unpriced record.
    usage(teamId_, "k9", "late", "tts", "elevenlabs", "eleven_flash_v2_5", "characters", "1000", kT0 + 30 * kHour);
    usage(teamId_, "k9", "odd", "tts", "acme", "x", "characters", "10", kT0 + 30 * kHour);
    expected_.costMicros += 50'000;  // 1k characters at $0.05
    // Outside the range: a day earlier.
    conversation(teamId_, "old", "a1", kT0 - 24 * kHour);
    post("old", R"({"turn_id": "a0", "role": "agent", "started_at": )" + std::to_string(kT0 - 20 * kHour) +
                    R"(, "timings": {"user_speech_end": 1, "stt_final": 99999}, "providers": {"stt": "deepgram"}})");
    usage(teamId_, "old", "x", "stt", "deepgram", "nova-3", "audio_seconds", "6000", kT0 - 20 * kHour);
    // Another team, inside the range.
    conversation(otherTeam_, "z", "a1", kT0 + kHour);
    post("z",
         R"({"turn_id": "a0", "role": "agent", "started_at": )" + std::to_string(kT0 + kHour) +
             R"(, "timings": {"user_speech_end": 1, "stt_final": 99999}, "providers": {"stt": "deepgram"},
                  "provider_events": [{"stage": "stt", "provider": "deepgram", "event": "error"}]})",
         otherKey_);
    usage(otherTeam_, "z", "x", "stt", "deepgram", "nova-3", "audio_seconds", "6000", kT0 + kHour, otherKey_);
  }

  void post(const std::string& conversation, const std::string& body, const std::string& key = "") {
    const auto res = send(verb::post, "/v1/conversations/" + conversation + "/turns", body, key);
    ASSERT_EQ(res.result(), status::created) << res.body();
  }
  void usage(const std::string&, const std::string& conversation, const std::string& id, const std::string& stage,
             const std::string& provider, const std::string& model, const std::string& unit,
             const std::string& quantity, int64_t at, const std::string& key = "") {
    const auto res = send(verb::post, "/v1/conversations/" + conversation + "/usage",
                          R"({"usage_id": ")" + id + R"(", "stage": ")" + stage + R"(", "provider": ")" + provider +
                              R"(", "model": ")" + model + R"(", "unit": ")" + unit + R"(", "quantity": )" + quantity +
                              R"(, "recorded_at": )" + std::to_string(at) + "}",
                          key);
    ASSERT_EQ(res.result(), status::created) << res.body();
  }
  json::object get(const std::string& target, const std::string& key = "") {
    const auto res = send(verb::get, target, std::nullopt, key);
    EXPECT_EQ(res.result(), status::ok) << target << ": " << res.body();
    return res.result() == status::ok ? bodyOf(res).as_object() : json::object{};
  }
  static int64_t micros(const json::value& usd) { return std::llround(usd.to_number<double>() * 1e6); }
  static const json::object& stageOf(const json::object& latency, const std::string& stage) {
    for (const auto& s : latency.at("stages").as_array()) {
      if (s.at("stage") == stage.c_str()) return s.as_object();
    }
    throw std::runtime_error("no stage " + stage);
  }
  static void expectPercentiles(const json::object& got, const std::vector<int64_t>& values, const std::string& what) {
    ASSERT_EQ(got.at("count"), static_cast<int64_t>(values.size())) << what;
    EXPECT_EQ(got.at("p50_ms"), nearestRank(values, 50)) << what;
    EXPECT_EQ(got.at("p95_ms"), nearestRank(values, 95)) << what;
    EXPECT_EQ(got.at("p99_ms"), nearestRank(values, 99)) << what;
  }

  Expected expected_;
  const std::string range_ = "from=2026-11-01&to=2026-11-03";
};

TEST_P(AnalyticsTest, OverviewCountsCallsMinutesAndCostOfTheRange) {
  const auto o = get("/v1/analytics/overview?" + range_);
  EXPECT_EQ(o.at("calls"), kConversations);
  EXPECT_EQ(o.at("duration_ms"), 55 * 60'000);  // 1 + 2 + ... + 10 minutes
  EXPECT_DOUBLE_EQ(o.at("minutes").as_double(), 55.0);
  EXPECT_EQ(micros(o.at("cost_usd")), expected_.costMicros);
  EXPECT_EQ(o.at("unpriced_records"), 1);
  EXPECT_EQ(o.at("by_status").at("ended").at("calls"), 9);
  EXPECT_EQ(o.at("by_status").at("failed").at("calls"), 1);
  EXPECT_EQ(o.at("by_status").at("failed").at("duration_ms"), 10 * 60'000);
  EXPECT_EQ(o.at("from"), "2026-11-01T00:00:00.000Z");
  // The other team sees only its own call.
  const auto other = get("/v1/analytics/overview?" + range_, otherKey_);
  EXPECT_EQ(other.at("calls"), 1);
  EXPECT_EQ(micros(other.at("cost_usd")), 6000 * 80);
}

TEST_P(AnalyticsTest, FiltersByRangeAndAgent) {
  // From 05:00: k5..k9.
  auto o = get("/v1/analytics/overview?from=2026-11-01T05:00:00Z&to=2026-11-03");
  EXPECT_EQ(o.at("calls"), 5);
  // An offset: 10:30+05:30 is 05:00Z.
  o = get("/v1/analytics/overview?from=2026-11-01T10:30:00%2B05:30&to=2026-11-03");
  EXPECT_EQ(o.at("calls"), 5);
  o = get("/v1/analytics/overview?" + range_ + "&agent_id=a2");
  EXPECT_EQ(o.at("calls"), 4);
  const auto latency = get("/v1/analytics/latency?" + range_ + "&agent_id=a2");
  for (const std::string stage : {"stt", "llm", "tts", "voice_to_voice"}) {
    expectPercentiles(stageOf(latency, stage), expected_.byAgent["a2"][stage], "a2 " + stage);
  }
  // The day before holds only the old conversation.
  o = get("/v1/analytics/overview?from=2026-10-31&to=2026-11-01");
  EXPECT_EQ(o.at("calls"), 1);
  EXPECT_EQ(micros(o.at("cost_usd")), 6000 * 80);
}

TEST_P(AnalyticsTest, CostIsSummedExactlyByStageProviderModelAndBucket) {
  const auto c = get("/v1/analytics/cost?" + range_);
  EXPECT_EQ(micros(c.at("total_usd")), expected_.costMicros);
  EXPECT_EQ(c.at("bucket"), "day");
  int64_t stt = 0, llm = 0;
  for (int i = 0; i < kConversations; ++i) {
    stt += int64_t{60 + i} * 80;
    llm += int64_t{150} * (i + 1);
  }
  EXPECT_EQ(micros(c.at("by_stage").at("stt")), stt);
  EXPECT_EQ(micros(c.at("by_stage").at("llm")), llm);
  EXPECT_EQ(micros(c.at("by_stage").at("tts")), 50'000);
  bool sawNova = false;
  for (const auto& p : c.at("by_provider").as_array()) {
    if (p.at("provider") == "deepgram") {
      sawNova = true;
      EXPECT_EQ(p.at("model"), "nova-3");
      EXPECT_EQ(micros(p.at("cost_usd")), stt);
      EXPECT_DOUBLE_EQ(p.at("quantities").at("audio_seconds").as_double(), 10 * 60 + 45);
      EXPECT_EQ(p.at("records"), kConversations);
    }
    if (p.at("provider") == "acme") {
      EXPECT_EQ(p.at("unpriced_records"), 1);
    }
  }
  EXPECT_TRUE(sawNova);
  const auto& series = c.at("series").as_array();
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].at("start"), "2026-11-01T00:00:00.000Z");
  EXPECT_EQ(micros(series[0].at("cost_usd")), stt + llm);
  EXPECT_EQ(series[1].at("start"), "2026-11-02T00:00:00.000Z");
  EXPECT_EQ(micros(series[1].at("cost_usd")), 50'000);
  EXPECT_EQ(series[1].at("unpriced_records"), 1);
  // Hourly: one bucket per conversation hour, plus 06:00 on the second day.
  const auto hourly = get("/v1/analytics/cost?" + range_ + "&bucket=hour");
  ASSERT_EQ(hourly.at("series").as_array().size(), static_cast<size_t>(kConversations + 1));
  EXPECT_EQ(hourly.at("series").as_array()[3].at("start"), "2026-11-01T03:00:00.000Z");
  EXPECT_EQ(micros(hourly.at("series").as_array()[3].at("cost_usd")), (60 + 3) * 80 + 150 * 4);
}

// Review of issue 14: the part of the cost from estimated usage, beside the
// totals (which count it as before), in the overview, per provider and per
// bucket.
TEST_P(AnalyticsTest, TheEstimatedPartOfTheCostIsShownBesideTheTotals) {
  auto o = get("/v1/analytics/overview?" + range_);
  EXPECT_EQ(micros(o.at("estimated_cost_usd")), 0);  // all measured so far
  EXPECT_EQ(o.at("estimated_records"), 0);
  // A cut reply's tokens in k0 (the first day), and an unpriced estimate.
  const auto estimate = [this](const std::string& id, const std::string& provider, const std::string& model,
                               const std::string& unit, int64_t quantity) {
    json::object body{{"usage_id", id}, {"stage", "llm"}, {"provider", provider}, {"unit", unit}};
    if (!model.empty()) body["model"] = model;
    body["quantity"] = quantity;
    body["recorded_at"] = kT0 + 30'000;
    body["estimated"] = true;
    const auto res = send(verb::post, "/v1/conversations/k0/usage", json::serialize(body));
    ASSERT_EQ(res.result(), status::created) << res.body();
  };
  estimate("c-in", "openai", "gpt-4o-mini", "input_tokens", 4000);
  estimate("c-out", "openai", "gpt-4o-mini", "output_tokens", 1000);
  estimate("c-odd", "acme", "", "output_tokens", 5);
  const int64_t estimated = 600 + 600;  // 4000 at $0.15/1M, 1000 at $0.60/1M

  o = get("/v1/analytics/overview?" + range_);
  EXPECT_EQ(micros(o.at("cost_usd")), expected_.costMicros + estimated);
  EXPECT_EQ(micros(o.at("estimated_cost_usd")), estimated);
  EXPECT_EQ(o.at("estimated_records"), 3);
  EXPECT_EQ(o.at("unpriced_records"), 2);
  const auto c = get("/v1/analytics/cost?" + range_);
  EXPECT_EQ(micros(c.at("total_usd")), expected_.costMicros + estimated);
  EXPECT_EQ(micros(c.at("estimated_cost_usd")), estimated);
  EXPECT_EQ(c.at("estimated_records"), 3);
  for (const auto& p : c.at("by_provider").as_array()) {
    if (p.at("provider") == "openai") {
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), estimated);
      EXPECT_EQ(p.at("estimated_records"), 2);
      EXPECT_EQ(p.at("records"), kConversations + 2);
    } else if (p.at("provider") == "acme" && p.at("stage") == "llm") {
      EXPECT_EQ(p.at("estimated_records"), 1);
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), 0);
    } else {
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), 0) << p;
      EXPECT_EQ(p.at("estimated_records"), 0) << p;
    }
  }
  const auto& series = c.at("series").as_array();
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(micros(series[0].at("estimated_cost_usd")), estimated);
  EXPECT_EQ(micros(series[1].at("estimated_cost_usd")), 0);
  // Another team's view is untouched.
  EXPECT_EQ(micros(get("/v1/analytics/cost?" + range_, otherKey_).at("estimated_cost_usd")), 0);
}

TEST_P(AnalyticsTest, LatencyPercentilesMatchAnIndependentComputation) {
  const auto latency = get("/v1/analytics/latency?" + range_);
  EXPECT_EQ(latency.at("percentile_method"), "nearest-rank");
  for (const std::string stage : {"stt", "llm", "tts", "voice_to_voice"}) {
    expectPercentiles(stageOf(latency, stage), expected_.stage[stage], stage);
  }
  const auto& stt = stageOf(latency, "stt");
  ASSERT_EQ(stt.at("by_provider").as_array().size(), 2u);
  for (const auto& p : stt.at("by_provider").as_array()) {
    const std::string provider(p.at("provider").as_string());
    expectPercentiles(p.as_object(), expected_.sttByProvider[provider], "stt " + provider);
  }
  const auto& llm = stageOf(latency, "llm").at("by_provider").as_array();
  ASSERT_EQ(llm.size(), 1u);
  EXPECT_EQ(llm[0].at("provider"), "openai");
}

TEST_P(AnalyticsTest, ProvidersShowRequestsErrorsAndFallbackRates) {
  const auto p = get("/v1/analytics/providers?" + range_);
  std::map<std::string, json::object> by;
  for (const auto& row : p.at("providers").as_array()) {
    by[std::string(row.at("stage").as_string()) + "/" + std::string(row.at("provider").as_string())] = row.as_object();
  }
  ASSERT_TRUE(by.count("llm/groq"));
  const auto& groq = by["llm/groq"];
  EXPECT_EQ(groq.at("served"), 0);
  EXPECT_EQ(groq.at("timeouts"), expected_.groqTimeouts);
  EXPECT_EQ(groq.at("fallbacks"), expected_.groqFallbacks);
  EXPECT_EQ(groq.at("requests"), expected_.groqFallbacks);
  EXPECT_DOUBLE_EQ(groq.at("fallback_rate").as_double(), 1.0);
  const auto& openai = by["llm/openai"];
  EXPECT_EQ(openai.at("served"), expected_.served);
  EXPECT_EQ(openai.at("fallbacks"), 0);
  const auto& eleven = by["tts/elevenlabs"];
  EXPECT_EQ(eleven.at("errors"), expected_.elevenErrors);
  EXPECT_DOUBLE_EQ(eleven.at("error_rate").as_double(),
                   static_cast<double>(expected_.elevenErrors) / static_cast<double>(expected_.served));
  EXPECT_EQ(by["stt/deepgram"].at("served"), expected_.sttServed["deepgram"]);
  EXPECT_EQ(by["stt/sarvam"].at("served"), expected_.sttServed["sarvam"]);
  EXPECT_EQ(by["stt/deepgram"].at("errors"), 0);  // the other team's error is not ours
  const auto& llmStage = p.at("by_stage").at("llm");
  EXPECT_EQ(llmStage.at("fallbacks"), expected_.groqFallbacks);
  EXPECT_DOUBLE_EQ(
      llmStage.at("fallback_rate").as_double(),
      static_cast<double>(expected_.groqFallbacks) / static_cast<double>(expected_.served + expected_.groqFallbacks));
}

TEST_P(AnalyticsTest, TurnsReadBackTheirProvidersAndEvents) {
  const auto turns = get("/v1/conversations/k0/turns").at("turns").as_array();
  const auto it =
      std::find_if(turns.begin(), turns.end(), [](const json::value& t) { return t.at("turn_id") == "a0"; });
  ASSERT_NE(it, turns.end());
  EXPECT_EQ(it->at("providers").at("stt"), "deepgram");
  EXPECT_EQ(it->at("providers").at("tts"), "elevenlabs");
  const auto& events = it->at("provider_events").as_array();
  ASSERT_EQ(events.size(), 3u);  // turn 0: the groq timeout and fallback, and the elevenlabs error
  EXPECT_EQ(events[0].at("event"), "timeout");
  EXPECT_EQ(events[0].at("reason"), "no first token in 2 s");
  EXPECT_EQ(events[1].at("to"), "openai");
  EXPECT_EQ(events[2].at("provider"), "elevenlabs");
}

TEST_P(AnalyticsTest, BadTurnFieldsAreRefusedAndNothingIsStored) {
  const auto refused = [&](const std::string& extra, const std::string& field, const std::string& code) {
    const auto res = send(verb::post, "/v1/conversations/k0/turns",
                          R"({"turn_id": "bad", "role": "agent", "started_at": 1)" + extra + "}");
    EXPECT_EQ(res.result(), status::bad_request) << extra;
    EXPECT_TRUE(namesField(res, field, code)) << res.body();
  };
  refused(R"(, "providers": {"vad": "silero"})", "providers.vad", "unknown_field");
  refused(R"(, "providers": {"stt": "deep gram"})", "providers.stt", "invalid_value");
  refused(R"(, "providers": "deepgram")", "providers", "wrong_type");
  refused(R"(, "provider_events": [{"stage": "vad", "provider": "x", "event": "error"}])", "provider_events[0].stage",
          "invalid_value");
  refused(R"(, "provider_events": [{"stage": "llm", "provider": "x", "event": "crash"}])", "provider_events[0].event",
          "invalid_value");
  refused(R"(, "provider_events": [{"stage": "llm", "provider": "x", "event": "error", "to": "y"}])",
          "provider_events[0].to", "invalid_value");
  refused(R"(, "provider_events": [{"stage": "llm", "event": "error"}])", "provider_events[0].provider", "required");
  refused(R"(, "provider_events": [7])", "provider_events[0]", "wrong_type");
  refused(R"(, "provider_events": {})", "provider_events", "wrong_type");
  const auto turns = get("/v1/conversations/k0/turns").at("turns").as_array();
  EXPECT_TRUE(std::none_of(turns.begin(), turns.end(), [](const json::value& t) { return t.at("turn_id") == "bad"; }));
}

TEST_P(AnalyticsTest, BadQueriesAreRefusedWithReasons) {
  const auto refused = [&](const std::string& target, const std::string& field, const std::string& code) {
    const auto res = send(verb::get, target);
    EXPECT_EQ(res.result(), status::bad_request) << target;
    EXPECT_TRUE(namesField(res, field, code)) << target << ": " << res.body();
  };
  refused("/v1/analytics/overview?from=yesterday", "from", "invalid_value");
  refused("/v1/analytics/overview?from=2026-11-01T10:00:00", "from", "invalid_value");  // no zone
  refused("/v1/analytics/overview?from=2026-02-30", "from", "invalid_value");
  refused("/v1/analytics/overview?from=2026-11-03&to=2026-11-01", "from", "invalid_value");
  refused("/v1/analytics/cost?bucket=week", "bucket", "invalid_value");
  refused("/v1/analytics/overview?bucket=day", "bucket", "unknown_field");  // cost only
  refused("/v1/analytics/latency?agent_id=a%20b", "agent_id", "invalid_value");
  EXPECT_EQ(send(verb::get, "/v1/analytics/everything").result(), status::not_found);
  EXPECT_EQ(send(verb::post, "/v1/analytics/overview", "{}").result(), status::method_not_allowed);
}

TEST(IsoTime, ParsesDatesAndZonedTimesAndFormatsUtc) {
  EXPECT_EQ(parseIsoTime("2026-11-01"), kT0);
  EXPECT_EQ(parseIsoTime("2026-11-02T00:00:00Z"), 1793577600000);
  EXPECT_EQ(parseIsoTime("2026-12-03T23:30:15.250+05:30"), 1796320815250);
  EXPECT_EQ(parseIsoTime("2026-12-03T23:30:15.250 05:30"), 1796320815250);  // '+' decoded to ' '
  EXPECT_EQ(parseIsoTime("2024-02-29T12:00:00-08:00"), 1709236800000);
  EXPECT_EQ(parseIsoTime("2024-02-29T12:00-0800"), 1709236800000);
  EXPECT_EQ(parseIsoTime("1970-01-01T00:00:00Z"), 0);
  for (const char* bad : {"2026-11-01T10:00", "2025-02-29", "2026-13-01", "2026-11-01T24:00Z", "26-11-01", "",
                          "2026-11-01Z", "2026-11-01T10:00:00Zjunk", "1969-12-31"}) {
    EXPECT_FALSE(parseIsoTime(bad)) << bad;
  }
  EXPECT_EQ(formatIsoTime(1796320815250), "2026-12-03T18:00:15.250Z");
  EXPECT_EQ(formatIsoTime(1709236800000), "2024-02-29T20:00:00.000Z");
  EXPECT_EQ(formatIsoTime(0), "1970-01-01T00:00:00.000Z");
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace convox::control_api::testing
