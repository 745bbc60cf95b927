// The price table: defaults, team overrides, the lookup order, exact
// arithmetic, and the edit route's validation.
#include "api_test_fixture.hpp"
#include "price_table.hpp"

#include <cmath>

namespace convox::control_api::testing {
namespace {

using common::http::status;
using common::http::verb;
namespace json = boost::json;

class PricingTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    conversation(teamId_, "c1", "a1", 1000);
    conversation(otherTeam_, "c1", "a1", 1000);
  }
  // Posts a usage record; returns the stored record as GET …/usage shows it.
  json::object usage(const std::string& id, const std::string& provider, const std::string& model,
                     const std::string& unit, const std::string& quantity, const std::string& extra = "",
                     const std::string& key = "") {
    const std::string body = R"({"usage_id": ")" + id + R"(", "stage": "stt", "provider": ")" + provider +
                             R"(", "model": ")" + model + R"(", "unit": ")" + unit + R"(", "quantity": )" + quantity +
                             extra + "}";
    const auto res = send(verb::post, "/v1/conversations/c1/usage", body, key);
    EXPECT_EQ(res.result(), status::created) << res.body();
    const auto list = bodyOf(send(verb::get, "/v1/conversations/c1/usage", std::nullopt, key));
    for (const auto& u : list.at("usage").as_array()) {
      if (u.at("usage_id") == id.c_str()) return u.as_object();
    }
    ADD_FAILURE() << "usage " << id << " not listed";
    return {};
  }
  static int64_t micros(const json::value& usd) { return std::llround(usd.to_number<double>() * 1e6); }
  json::object pricesOf(const std::string& provider, const std::string& key = "") {
    const auto res = send(verb::get, "/v1/providers/" + provider + "/pricing", std::nullopt, key);
    EXPECT_EQ(res.result(), status::ok) << res.body();
    return bodyOf(res).as_object();
  }
  static const json::object* find(const json::object& prices, const std::string& model, const std::string& unit) {
    for (const auto& p : prices.at("prices").as_array()) {
      if (p.at("model") == model.c_str() && p.at("unit") == unit.c_str()) return &p.as_object();
    }
    return nullptr;
  }
};

TEST(PriceArithmetic, CostIsRoundedOnceFromExactIntegers) {
  // $0.0048 a minute: 90.5 s is 0.0048 * 90.5 / 60 = $0.00724.
  const Price nova{"deepgram", "nova-3", "audio_seconds", 4'800'000, 60};
  EXPECT_EQ(costMicroUsd(90'500'000, nova), 7240);
  // $0.15 per 1M tokens = 150,000 nano-USD per 1k: 1,234 tokens is
  // 1234 * 0.15e-6 = $0.0001851 -> 185.1 micro-USD, rounded to 185.
  const Price mini{"openai", "gpt-4o-mini", "input_tokens", 150'000, 1000};
  EXPECT_EQ(costMicroUsd(1'234'000'000, mini), 185);
  // Half a micro-dollar rounds up: 0.5 s at $0.00006 a second = 30 -> 30;
  // 1 token at $0.0000005 = 0.5 micro-USD -> 1.
  EXPECT_EQ(costMicroUsd(1'000'000, {"x", "*", "input_tokens", 500, 1}), 1);
  // Review of issue 14: beyond int64 the cost saturates instead of wrapping negative.
  EXPECT_EQ(costMicroUsd(std::numeric_limits<int64_t>::max(),
                         {"x", "*", "input_tokens", std::numeric_limits<int64_t>::max(), 1}),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(costMicroUsd(1'000'000, {"x", "*", "input_tokens", 499, 1}), 0);
  // The largest quantity the API takes (1e9 units) at $1e6 each does not overflow.
  EXPECT_EQ(costMicroUsd(int64_t{1'000'000'000} * 1'000'000,
                         {"x", "*", "requests", int64_t{1'000'000} * 1'000'000'000, 1'000'000'000}),
            int64_t{1'000'000} * 1'000'000);
}

TEST(PriceArithmetic, EveryDefaultHasAKnownUnitAndPer) {
  for (const auto& d : defaultPrices()) {
    EXPECT_TRUE(perUnitsFor(d.unit, d.per)) << d.provider << " " << d.model << " " << d.unit << " per " << d.per;
    EXPECT_FALSE(d.source.empty()) << d.provider << " " << d.model;
    EXPECT_GE(d.priceNanoUsd, 0);
  }
}

TEST_P(PricingTest, ARecordWithoutACostIsPricedFromTheDefaultsAtInsert) {
  const auto u = usage("u1", "deepgram", "nova-3", "audio_seconds", "90.5");
  EXPECT_EQ(micros(u.at("cost_usd")), 7240);  // 90.5 / 60 * 0.0048
  EXPECT_EQ(u.at("cost_source"), "price_table");
  const auto reported = usage("u2", "deepgram", "nova-3", "audio_seconds", "60", R"(, "cost_usd": 0.01)");
  EXPECT_EQ(micros(reported.at("cost_usd")), 10000);
  EXPECT_EQ(reported.at("cost_source"), "reported");
  // No price anywhere: unpriced, and counted apart by the cost summary.
  const auto unknown = usage("u3", "acme-stt", "x", "audio_seconds", "10");
  EXPECT_TRUE(unknown.at("cost_usd").is_null());
  EXPECT_TRUE(unknown.at("cost_source").is_null());
  // Local engines cost nothing, which is a price (not "unpriced").
  const auto local = usage("u4", "pocketsphinx", "en-us", "audio_seconds", "30");
  EXPECT_EQ(micros(local.at("cost_usd")), 0);
  EXPECT_EQ(local.at("cost_source"), "price_table");
  const auto cost = bodyOf(send(verb::get, "/v1/conversations/c1/cost"));
  EXPECT_EQ(micros(cost.at("total_usd")), 7240 + 10000);
  EXPECT_EQ(cost.at("unpriced_records"), 1);
}

TEST_P(PricingTest, TeamRowsOverrideDefaultsInTheDocumentedOrder) {
  // default (openai, gpt-4o-mini): $0.15 per 1M input tokens.
  EXPECT_EQ(micros(usage("d", "openai", "gpt-4o-mini", "input_tokens", "1000000").at("cost_usd")), 150000);
  // team (openai, *) beats the default for the exact model.
  auto res = send(verb::put, "/v1/providers/openai/pricing",
                  R"({"prices": [{"model": "*", "unit": "input_tokens", "usd": 0.2, "per": "1m"}]})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(micros(usage("t1", "openai", "gpt-4o-mini", "input_tokens", "1000000").at("cost_usd")), 200000);
  // team (openai, gpt-4o-mini) beats the team's *.
  res = send(verb::put, "/v1/providers/openai/pricing",
             R"({"prices": [{"model": "gpt-4o-mini", "unit": "input_tokens", "usd": 0.0001, "per": "1k"}]})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(micros(usage("t2", "openai", "gpt-4o-mini", "input_tokens", "1000000").at("cost_usd")), 100000);
  // Another model of the provider still takes the team's *.
  EXPECT_EQ(micros(usage("t3", "openai", "gpt-4.1-mini", "input_tokens", "1000000").at("cost_usd")), 200000);
  // default (provider, *): sarvam's list price per hour of audio.
  EXPECT_EQ(micros(usage("s", "sarvam", "saarika:v2.5", "audio_seconds", "3600").at("cost_usd")), 352941);

  // Earlier records keep the price in force when they were reported.
  const auto list = bodyOf(send(verb::get, "/v1/conversations/c1/usage")).at("usage").as_array();
  EXPECT_EQ(micros(list[0].at("cost_usd")), 150000);

  // The other team is untouched: defaults only.
  EXPECT_EQ(micros(usage("o", "openai", "gpt-4o-mini", "input_tokens", "1000000", "", otherKey_).at("cost_usd")),
            150000);
  const auto others = pricesOf("openai", otherKey_);
  ASSERT_TRUE(find(others, "gpt-4o-mini", "input_tokens"));
  EXPECT_EQ(find(others, "gpt-4o-mini", "input_tokens")->at("team_override"), false);
  EXPECT_FALSE(find(others, "*", "input_tokens"));
}

TEST(PriceNames, ADatedSnapshotIsPricedAsItsModel) {
  EXPECT_EQ(priceNamesOf("gpt-4o-mini-2024-07-18"),
            (std::vector<std::string>{"gpt-4o-mini-2024-07-18", "gpt-4o-mini", "gpt-4o-mini-latest"}));
  EXPECT_EQ(priceNamesOf("claude-haiku-4-5-20251001"),
            (std::vector<std::string>{"claude-haiku-4-5-20251001", "claude-haiku-4-5", "claude-haiku-4-5-latest"}));
  // Not dates: a version, too few digits, nothing before the date.
  EXPECT_EQ(priceNamesOf("gpt-4.1-mini"), (std::vector<std::string>{"gpt-4.1-mini"}));
  EXPECT_EQ(priceNamesOf("llama-3.1-8b-instant"), (std::vector<std::string>{"llama-3.1-8b-instant"}));
  EXPECT_EQ(priceNamesOf("model-2024-7-18"), (std::vector<std::string>{"model-2024-7-18"}));
  EXPECT_EQ(priceNamesOf("-20251001"), (std::vector<std::string>{"-20251001"}));
  EXPECT_EQ(priceNamesOf("x-2025100"), (std::vector<std::string>{"x-2025100"}));
}

TEST_P(PricingTest, TheSnapshotAStreamReportsTakesItsModelsPrice) {
  // OpenAI's stream names the snapshot: the gpt-4o-mini list price applies.
  EXPECT_EQ(micros(usage("o", "openai", "gpt-4o-mini-2024-07-18", "input_tokens", "1000000").at("cost_usd")), 150000);
  // Anthropic's: claude-3-5-haiku-20241022 is listed as claude-3-5-haiku-latest.
  EXPECT_EQ(micros(usage("a", "anthropic", "claude-3-5-haiku-20241022", "output_tokens", "1000000").at("cost_usd")),
            4000000);
  // A team's row for the model covers its snapshots, ahead of the team's *.
  auto res = send(verb::put, "/v1/providers/anthropic/pricing",
                  R"({"prices": [{"model": "*", "unit": "input_tokens", "usd": 9, "per": "1m"},
                                 {"model": "claude-haiku-4-5", "unit": "input_tokens", "usd": 0.5, "per": "1m"}]})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(micros(usage("t", "anthropic", "claude-haiku-4-5-20251001", "input_tokens", "1000000").at("cost_usd")),
            500000);
  EXPECT_EQ(micros(usage("t2", "anthropic", "claude-opus-4-1-20250805", "input_tokens", "1000000").at("cost_usd")),
            9000000);
  // A row for the snapshot itself beats the model's.
  res =
      send(verb::put, "/v1/providers/anthropic/pricing",
           R"({"prices": [{"model": "claude-haiku-4-5-20251001", "unit": "input_tokens", "usd": 0.25, "per": "1m"}]})");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(micros(usage("t3", "anthropic", "claude-haiku-4-5-20251001", "input_tokens", "1000000").at("cost_usd")),
            250000);
}

TEST_P(PricingTest, GetShowsEffectivePricesAndWhichAreTheTeams) {
  auto prices = pricesOf("elevenlabs");
  EXPECT_EQ(prices.at("currency"), "USD");
  const auto* flash = find(prices, "eleven_flash_v2_5", "characters");
  ASSERT_TRUE(flash);
  EXPECT_EQ(flash->at("team_override"), false);
  EXPECT_EQ(flash->at("per"), "1k");
  EXPECT_FALSE(flash->at("source").as_string().empty());
  ASSERT_EQ(send(verb::put, "/v1/providers/elevenlabs/pricing",
                 R"({"prices": [{"model": "eleven_flash_v2_5", "unit": "characters", "usd": 0.06}]})")
                .result(),
            status::ok);
  prices = pricesOf("elevenlabs");
  flash = find(prices, "eleven_flash_v2_5", "characters");
  ASSERT_TRUE(flash);
  EXPECT_EQ(flash->at("team_override"), true);
  EXPECT_DOUBLE_EQ(flash->at("usd").as_double(), 0.06);
  EXPECT_DOUBLE_EQ(flash->at("default").at("usd").as_double(), 0.05);
  // usd null removes the team's row: the default shows again.
  ASSERT_EQ(send(verb::put, "/v1/providers/elevenlabs/pricing",
                 R"({"prices": [{"model": "eleven_flash_v2_5", "unit": "characters", "usd": null}]})")
                .result(),
            status::ok);
  EXPECT_EQ(find(pricesOf("elevenlabs"), "eleven_flash_v2_5", "characters")->at("team_override"), false);
  // Local engines list their units at 0.
  const auto local = pricesOf("espeak-ng");
  ASSERT_TRUE(find(local, "*", "characters"));
  EXPECT_EQ(find(local, "*", "characters")->at("usd").as_double(), 0.0);
}

TEST_P(PricingTest, ABadEditIsRefusedWithReasonsAndStoresNothing) {
  const auto res = send(verb::put, "/v1/providers/openai/pricing", R"({"prices": [
      {"model": "gpt-4o-mini", "unit": "input_tokens", "usd": 0.1, "per": "1k"},
      {"model": "gpt-4o-mini", "unit": "liters", "usd": 0.1},
      {"model": "gpt-4o-mini", "unit": "audio_seconds", "usd": 0.1, "per": "1k"},
      {"model": "gpt-4o-mini", "unit": "output_tokens", "usd": -1},
      {"model": "gpt-4o-mini", "unit": "characters", "usd": 0.0000000001},
      {"model": "gpt-4o-mini", "unit": "input_tokens", "usd": 0.2},
      {"model": "", "unit": "input_tokens", "usd": 0.2},
      {"model": "x", "unit": "input_tokens", "usd": 0.2, "currency": "EUR"},
      "free"]})");
  ASSERT_EQ(res.result(), status::bad_request) << res.body();
  EXPECT_TRUE(namesField(res, "prices[1].unit", "invalid_value")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[2].per", "invalid_value")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[3].usd", "out_of_range")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[4].usd", "invalid_value")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[5]", "duplicate")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[6].model", "required")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[7].currency", "unknown_field")) << res.body();
  EXPECT_TRUE(namesField(res, "prices[8]", "wrong_type")) << res.body();
  EXPECT_FALSE(namesField(res, "prices[0].usd", "invalid_value"));
  // The valid first entry was not stored either.
  EXPECT_TRUE(repo().listTeamPrices(teamId_, "openai").empty());
  EXPECT_EQ(send(verb::put, "/v1/providers/open.ai/pricing", R"({"prices": []})").result(), status::bad_request);
  EXPECT_EQ(send(verb::post, "/v1/providers/openai/pricing", R"({"prices": []})").result(), status::method_not_allowed);
  EXPECT_TRUE(namesField(send(verb::put, "/v1/providers/openai/pricing", R"({})"), "prices", "required"));
}

TEST_P(PricingTest, SumsOfManyRecordsAreExact) {
  // 300 records of 0.7 s at $0.0048 a minute: each 56 micro-USD (0.7/60*4800
  // = 56.0), summed exactly.
  int64_t expected = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string body =
        R"({"usage_id": "n)" + std::to_string(i) +
        R"(", "stage": "stt", "provider": "deepgram", "model": "nova-3", "unit": "audio_seconds", "quantity": 0.7})";
    ASSERT_EQ(send(verb::post, "/v1/conversations/c1/usage", body).result(), status::created);
    expected += std::llround(0.7 / 60.0 * 4800.0);
  }
  const auto cost = bodyOf(send(verb::get, "/v1/conversations/c1/cost"));
  EXPECT_EQ(micros(cost.at("total_usd")), expected);
  EXPECT_EQ(expected, 300 * 56);
}

// Review of issue 14: usage the worker estimated (an LLM reply cut by
// barge-in) is stored and priced like any record, read back marked, and its
// part of the cost shown beside the totals, which stay as they were.
TEST_P(PricingTest, EstimatedUsageRoundTripsAndItsPartOfTheCostIsShown) {
  const auto measured = usage("m1", "openai", "gpt-4o-mini", "input_tokens", "1000");
  EXPECT_EQ(measured.at("estimated"), false);  // the default
  const auto in = usage("e1", "openai", "gpt-4o-mini", "input_tokens", "2000", R"(, "estimated": true)");
  EXPECT_EQ(in.at("estimated"), true);
  EXPECT_EQ(micros(in.at("cost_usd")), 300);  // priced as measured usage is: 2000 at $0.15/1M
  EXPECT_EQ(in.at("cost_source"), "price_table");
  const auto out = usage("e2", "openai", "gpt-4o-mini", "output_tokens", "500", R"(, "estimated": true)");
  EXPECT_EQ(micros(out.at("cost_usd")), 300);  // 500 at $0.60/1M
  const auto stt = usage("m2", "deepgram", "nova-3", "audio_seconds", "60", R"(, "estimated": false)");
  EXPECT_EQ(stt.at("estimated"), false);
  const auto unknown = usage("e3", "acme-llm", "x", "output_tokens", "10", R"(, "estimated": true)");
  EXPECT_TRUE(unknown.at("cost_usd").is_null());
  // A repeat of an id changes nothing, its mark included.
  const auto repeat = send(verb::post, "/v1/conversations/c1/usage",
                           R"({"usage_id": "e1", "stage": "stt", "provider": "openai", "model": "gpt-4o-mini",
                               "unit": "input_tokens", "quantity": 2000, "estimated": false})");
  EXPECT_EQ(repeat.result(), status::ok) << repeat.body();
  const auto listed = bodyOf(send(verb::get, "/v1/conversations/c1/usage"));
  for (const auto& u : listed.at("usage").as_array()) {
    if (u.at("usage_id") == "e1") {
      EXPECT_EQ(u.at("estimated"), true);
    }
  }

  const auto cost = bodyOf(send(verb::get, "/v1/conversations/c1/cost"));
  EXPECT_EQ(micros(cost.at("total_usd")), 150 + 300 + 300 + 4800);  // unchanged: every priced record
  EXPECT_EQ(micros(cost.at("estimated_cost_usd")), 300 + 300);
  EXPECT_EQ(cost.at("estimated_records"), 3);  // the unpriced one too
  EXPECT_EQ(cost.at("unpriced_records"), 1);
  size_t lines = 0;
  for (const auto& p : cost.at("by_provider").as_array()) {
    ++lines;
    const auto& provider = p.at("provider");
    if (provider == "openai") {
      EXPECT_EQ(micros(p.at("cost_usd")), 750);
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), 600);
      EXPECT_EQ(p.at("estimated_records"), 2);
    } else if (provider == "deepgram") {
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), 0);
      EXPECT_EQ(p.at("estimated_records"), 0);
    } else {
      EXPECT_EQ(provider, "acme-llm");
      EXPECT_EQ(micros(p.at("estimated_cost_usd")), 0);
      EXPECT_EQ(p.at("estimated_records"), 1);
      EXPECT_EQ(p.at("unpriced_records"), 1);
    }
  }
  EXPECT_EQ(lines, 3u);
  // The seed's session path answers the same.
  const auto session = bodyOf(send(verb::get, "/v1/sessions/c1/cost"));
  EXPECT_EQ(micros(session.at("estimated_cost_usd")), 600);
}

TEST_P(PricingTest, ANonBooleanEstimatedIsRefusedWithItsReasonAndNothingIsStored) {
  for (const std::string bad : {R"("yes")", "1", "null", "{}"}) {
    const auto res = send(verb::post, "/v1/conversations/c1/usage",
                          R"({"usage_id": "b1", "stage": "llm", "provider": "openai", "unit": "input_tokens",
                              "quantity": 10, "estimated": )" +
                              bad + "}");
    EXPECT_EQ(res.result(), status::bad_request) << bad << ": " << res.body();
    EXPECT_TRUE(namesField(res, "estimated", "wrong_type")) << bad << ": " << res.body();
    EXPECT_NE(res.body().find("must be true or false"), std::string::npos) << res.body();
  }
  EXPECT_TRUE(bodyOf(send(verb::get, "/v1/conversations/c1/usage")).at("usage").as_array().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PricingTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace convox::control_api::testing
