// What the voice worker needs from /v1, through the handlers (no socket):
// turns with confidence, language and stage timings, no_logging agents, end
// reasons, the job token as a one-conversation credential, and the seed's
// session endpoints over the same conversations.
#include "common/access_token.hpp"
#include "common/ids.hpp"
#include "control_api/control_api.hpp"
#include "store_fixture.hpp"

#include <boost/json.hpp>

#include <string>

namespace convox::control_api::testing {
namespace {

namespace json = boost::json;
using common::http::field;
using common::http::status;
using common::http::verb;

constexpr const char* kApiKey = "devkey";
constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";

class WorkerApiTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    teamId_ = repo().createTeam("workers");
    key_ = repo().createApiKey(teamId_, "test").secret;
    CallSettings calls;
    calls.apiKey = kApiKey;
    calls.apiSecret = kSecret;
    calls.publicUrl = [] { return std::string("ws://127.0.0.1:7880"); };
    calls.jobTokenSecrets = [](std::string_view key) -> std::optional<std::string> {
      if (key == kApiKey) return std::string(kSecret);
      return std::nullopt;
    };
    api_ = std::make_unique<ControlApi>(repo(), calls);
  }
  void TearDown() override {
    api_.reset();
    StoreTest::TearDown();
  }

  common::HttpResponse send(verb method, const std::string& target, std::optional<std::string> body = std::nullopt,
                            const std::string& credential = "") {
    common::HttpRequest req{method, target, 11};
    req.set(field::authorization, "Bearer " + (credential.empty() ? key_ : credential));
    if (body) {
      req.set(field::content_type, "application/json");
      req.body() = *body;
      req.prepare_payload();
    }
    return api_->handle(req);
  }
  static json::value bodyOf(const common::HttpResponse& res) { return json::parse(res.body()); }
  static bool namesField(const common::HttpResponse& res, const std::string& name, const std::string& code) {
    const auto body = bodyOf(res);
    for (const auto& d : body.at("error").at("details").as_array()) {
      if (d.at("field").as_string() == name && d.at("code").as_string() == code) return true;
    }
    return false;
  }

  // An agent stored as is (the validator is not what these tests are about).
  void storeAgent(const std::string& id, const std::string& configJson) {
    AgentRecord a;
    a.id = id;
    a.name = id;
    a.configJson = configJson;
    a.createdAt = a.updatedAt = 1;
    ASSERT_TRUE(repo().createAgent(teamId_, a));
  }
  // A call through POST /v1/calls: its conversation id.
  std::string startCall(const std::string& agentId) {
    const auto res = send(verb::post, "/v1/calls", R"({"agent_id": ")" + agentId + "\"}");
    EXPECT_EQ(res.result(), status::created) << res.body();
    return std::string(bodyOf(res).at("conversation_id").as_string());
  }
  // A token like the dispatcher's job token (dispatcher/src/job_token.cpp).
  static std::string jobToken(const std::string& room, int64_t issuedAt = common::unixSeconds(), int64_t ttl = 3600,
                              bool agent = true, const std::string& secret = kSecret) {
    common::ClaimGrants grants;
    grants.identity = "agent-AJ_test";
    grants.kind = agent ? "agent" : "standard";
    common::VideoGrant video;
    video.roomJoin = true;
    video.room = room;
    video.agent = agent;
    grants.video = video;
    return common::signAccessToken(grants, kApiKey, secret, issuedAt, ttl);
  }

  std::string teamId_;
  std::string key_;
  std::unique_ptr<ControlApi> api_;
};

// --- turns ---------------------------------------------------------------------

TEST_P(WorkerApiTest, TurnsKeepWhatTheWorkerMeasuredAndShowDerivedLatencies) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto id = startCall("talker");
  const auto user = send(verb::post, "/v1/conversations/" + id + "/turns", R"({
      "turn_id": "t1", "role": "user", "text": "book a table", "started_at": 1000,
      "confidence": 0.875, "language": "hi-IN",
      "timings": {"user_speech_start": 1000, "user_speech_end": 2400, "vad_end": 2950, "stt_final": 3010}})");
  ASSERT_EQ(user.result(), status::created) << user.body();
  EXPECT_EQ(bodyOf(user).at("redacted"), false);
  const auto agent = send(verb::post, "/v1/conversations/" + id + "/turns", R"({
      "turn_id": "t2", "role": "agent", "text": "For when?", "started_at": 3441, "interrupted": true,
      "timings": {"user_speech_end": 2400, "stt_final": 3010, "llm_first_token": 3300, "tts_first_audio": 3420,
                  "first_packet_out": 3441, "playout_end": 5000}})");
  ASSERT_EQ(agent.result(), status::created) << agent.body();

  for (const auto* path : {"/turns", "/transcript"}) {
    const auto res = send(verb::get, "/v1/conversations/" + id + path);
    ASSERT_EQ(res.result(), status::ok) << res.body();
    const auto turns = bodyOf(res).at("turns").as_array();
    ASSERT_EQ(turns.size(), 2u) << path;
    const auto& u = turns[0].as_object();
    EXPECT_EQ(u.at("confidence").as_double(), 0.875) << path;
    EXPECT_EQ(u.at("language"), "hi-IN") << path;
    EXPECT_EQ(u.at("timings").at("vad_end"), 2950) << path;
    EXPECT_TRUE(u.at("timings").at("llm_first_token").is_null()) << path;
    EXPECT_EQ(u.at("latency_ms").at("endpointing"), 550) << path;
    EXPECT_EQ(u.at("latency_ms").at("stt"), 610) << path;
    EXPECT_TRUE(u.at("latency_ms").at("voice_to_voice").is_null()) << path;
    const auto& a = turns[1].as_object();
    EXPECT_EQ(a.at("text"), "For when?") << path;
    EXPECT_EQ(a.at("interrupted"), true) << path;
    EXPECT_TRUE(a.at("confidence").is_null()) << path;
    EXPECT_EQ(a.at("timings").at("playout_end"), 5000) << path;
    EXPECT_EQ(a.at("latency_ms").at("voice_to_voice"), 1041) << path;
    EXPECT_EQ(a.at("latency_ms").at("llm_first_token"), 290) << path;
    EXPECT_EQ(a.at("latency_ms").at("tts_first_audio"), 120) << path;
    EXPECT_EQ(a.at("latency_ms").at("transport"), 21) << path;
  }
  // The turn id stays idempotent: a repeat changes nothing.
  const auto again = send(verb::post, "/v1/conversations/" + id + "/turns",
                          R"({"turn_id": "t1", "role": "user", "text": "other", "started_at": 1, "confidence": 0.1})");
  EXPECT_EQ(again.result(), status::ok) << again.body();
  EXPECT_EQ(
      bodyOf(send(verb::get, "/v1/conversations/" + id + "/turns")).at("turns").at(0).at("confidence").as_double(),
      0.875);
}

TEST_P(WorkerApiTest, BadTurnFieldsAreFieldErrors) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto id = startCall("talker");
  const auto turn = [&](const std::string& extra, const std::string& role = "user") {
    return send(verb::post, "/v1/conversations/" + id + "/turns",
                R"({"turn_id": "t", "role": ")" + role + R"(", "started_at": 1, )" + extra + "}");
  };
  struct Case {
    std::string extra;
    std::string role;
    std::string field;
    std::string code;
  };
  for (const auto& c : std::vector<Case>{
           {R"("confidence": 1.5)", "user", "confidence", "out_of_range"},
           {R"("confidence": -0.1)", "user", "confidence", "out_of_range"},
           {R"("confidence": "high")", "user", "confidence", "wrong_type"},
           {R"("confidence": 0.5)", "agent", "confidence", "invalid_value"},
           {R"("language": "en_US")", "user", "language", "invalid_value"},
           {R"("language": "1en")", "user", "language", "invalid_value"},
           {R"("language": "en--US")", "user", "language", "invalid_value"},
           {R"("timings": {"vad_end": "soon"})", "user", "timings.vad_end", "wrong_type"},
           {R"("timings": {"stt_final": -5})", "user", "timings.stt_final", "out_of_range"},
           {R"("timings": {"speech_begin": 5})", "user", "timings.speech_begin", "unknown_field"},
           {R"("timings": [1, 2])", "user", "timings", "wrong_type"},
       }) {
    const auto res = turn(c.extra, c.role);
    EXPECT_EQ(res.result(), status::bad_request) << c.extra << ": " << res.body();
    EXPECT_TRUE(namesField(res, c.field, c.code)) << c.extra << ": " << res.body();
  }
  EXPECT_EQ(turn(R"("language": "es-419", "confidence": 1)").result(), status::created);
  EXPECT_EQ(bodyOf(send(verb::get, "/v1/conversations/" + id + "/turns")).at("turns").as_array().size(), 1u);
}

TEST_P(WorkerApiTest, NoLoggingAgentsStoreNoTranscriptText) {
  storeAgent("private", R"({"name":"private","privacy":{"no_logging":true,"retention_days":7}})");
  storeAgent("public", R"({"name":"public","privacy":{"no_logging":false}})");
  const auto hidden = startCall("private");
  const auto shown = startCall("public");
  const std::string body = R"({"turn_id": "t1", "role": "user", "text": "my card is 4111", "started_at": 5,
                               "confidence": 0.9, "timings": {"user_speech_end": 100, "vad_end": 400}})";
  const auto res = send(verb::post, "/v1/conversations/" + hidden + "/turns", body);
  ASSERT_EQ(res.result(), status::created) << res.body();
  EXPECT_EQ(bodyOf(res).at("redacted"), true);
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + shown + "/turns", body).result(), status::created);

  const auto turns = repo().listTurns(teamId_, hidden);
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].text, "");
  EXPECT_TRUE(turns[0].redacted);
  EXPECT_EQ(turns[0].timings.vadEnd, 400);  // timings are kept
  EXPECT_EQ(turns[0].confidenceMicros, 900'000);
  const auto text = send(verb::get, "/v1/conversations/" + hidden + "/transcript?format=text");
  EXPECT_EQ(text.body().find("4111"), std::string::npos) << text.body();
  EXPECT_NE(text.body().find("[not logged]"), std::string::npos) << text.body();
  EXPECT_EQ(repo().listTurns(teamId_, shown).at(0).text, "my card is 4111");
  EXPECT_FALSE(repo().listTurns(teamId_, shown).at(0).redacted);

  // An agent deleted mid-call: its policy cannot be read, so nothing is logged.
  ASSERT_TRUE(repo().deleteAgent(teamId_, "public"));
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + shown + "/turns",
                 R"({"turn_id": "t2", "role": "agent", "text": "noted", "started_at": 6})")
                .result(),
            status::created);
  EXPECT_TRUE(repo().listTurns(teamId_, shown).at(1).redacted);
}

TEST_P(WorkerApiTest, AConversationEndsOrFailsWithAReason) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto id = startCall("talker");
  const auto early = send(verb::post, "/v1/conversations/" + id + "/status",
                          R"({"status": "in_progress", "end_reason": "user_hangup"})");
  EXPECT_EQ(early.result(), status::bad_request) << early.body();
  EXPECT_TRUE(namesField(early, "end_reason", "invalid_value")) << early.body();
  const auto bad =
      send(verb::post, "/v1/conversations/" + id + "/status", R"({"status": "ended", "end_reason": "a b"})");
  EXPECT_TRUE(namesField(bad, "end_reason", "invalid_value")) << bad.body();
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + id + "/status", R"({"status": "in_progress"})").result(),
            status::ok);
  EXPECT_TRUE(bodyOf(send(verb::get, "/v1/conversations/" + id)).at("end_reason").is_null());
  const auto ended =
      send(verb::post, "/v1/conversations/" + id + "/status", R"({"status": "failed", "error": "tts down",
                                                                  "end_reason": "provider_error"})");
  ASSERT_EQ(ended.result(), status::ok) << ended.body();
  EXPECT_EQ(bodyOf(ended).at("end_reason"), "provider_error");
  EXPECT_EQ(bodyOf(send(verb::get, "/v1/conversations/" + id)).at("end_reason"), "provider_error");

  const auto other = startCall("talker");
  const auto forced = send(verb::post, "/v1/conversations/" + other + "/end");
  ASSERT_EQ(forced.result(), status::ok) << forced.body();
  EXPECT_EQ(bodyOf(forced).at("end_reason"), "ended_by_api");
}

// --- the job token -------------------------------------------------------------

TEST_P(WorkerApiTest, AJobTokenReachesItsConversationsWorkerRoutesOnly) {
  storeAgent("talker", R"({"name":"talker","webhooks":[{"url":"https://h.example/x","secret":"hook-secret"}]})");
  storeAgent("bystander", R"({"name":"bystander"})");
  const auto id = startCall("talker");
  const auto other = startCall("talker");
  const auto token = jobToken("call_" + id);
  const auto base = "/v1/conversations/" + id;

  EXPECT_EQ(send(verb::get, base, std::nullopt, token).result(), status::ok);
  EXPECT_EQ(send(verb::post, base + "/status", R"({"status": "in_progress"})", token).result(), status::ok);
  EXPECT_EQ(
      send(verb::post, base + "/turns", R"({"turn_id": "t1", "role": "user", "text": "hi", "started_at": 1})", token)
          .result(),
      status::created);
  EXPECT_EQ(send(verb::get, base + "/turns", std::nullopt, token).result(), status::ok);
  EXPECT_EQ(send(verb::get, base + "/transcript?format=text", std::nullopt, token).result(), status::ok);
  EXPECT_EQ(send(verb::post, base + "/usage",
                 R"({"usage_id": "u1", "stage": "stt", "provider": "pocketsphinx", "unit": "audio_seconds",
                     "quantity": 1.5})",
                 token)
                .result(),
            status::created);
  const auto agent = send(verb::get, "/v1/agents/talker", std::nullopt, token);
  ASSERT_EQ(agent.result(), status::ok) << agent.body();
  EXPECT_EQ(agent.body().find("hook-secret"), std::string::npos);  // still masked

  // Everything else is refused: a job token is not a team key.
  for (const auto& [method, target] : std::vector<std::pair<verb, std::string>>{
           {verb::get, "/v1/conversations"},
           {verb::get, "/v1/agents"},
           {verb::put, "/v1/agents/talker"},
           {verb::delete_, "/v1/agents/talker"},
           {verb::get, "/v1/api-keys"},
           {verb::post, "/v1/api-keys"},
           {verb::post, "/v1/calls"},
           {verb::get, base + "/usage"},
           {verb::get, base + "/cost"},
           {verb::get, base + "/webhook-deliveries"},
           {verb::post, base + "/end"},
           {verb::get, "/v1/sessions"},
           {verb::get, "/v1/sessions/" + id},
           {verb::post, "/v1/agents/talker/test"},
       }) {
    const auto res = send(method, target, std::nullopt, token);
    EXPECT_EQ(res.result(), status::forbidden) << target << ": " << res.body();
    EXPECT_NE(res.body().find("not a team key"), std::string::npos) << target << ": " << res.body();
  }
  // Another conversation, or an agent other than its own, is as if it did not exist.
  EXPECT_EQ(send(verb::get, "/v1/conversations/" + other, std::nullopt, token).result(), status::not_found);
  EXPECT_EQ(send(verb::post, "/v1/conversations/" + other + "/turns",
                 R"({"turn_id": "t1", "role": "user", "text": "x", "started_at": 1})", token)
                .result(),
            status::not_found);
  EXPECT_TRUE(repo().listTurns(teamId_, other).empty());
  // A re-dispatched job reads its own conversation's turns back, never another's.
  const auto mine = send(verb::get, base + "/turns", std::nullopt, token);
  ASSERT_EQ(mine.result(), status::ok) << mine.body();
  EXPECT_EQ(bodyOf(mine).at("turns").as_array().at(0).at("turn_id"), "t1");
  const auto otherToken = jobToken("call_" + other);
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + other + "/turns",
                 R"({"turn_id": "o1", "role": "user", "text": "not yours", "started_at": 1})", otherToken)
                .result(),
            status::created);
  for (const auto& target : {"/v1/conversations/" + other + "/turns", "/v1/conversations/" + other + "/transcript"}) {
    const auto theirs = send(verb::get, target, std::nullopt, token);
    EXPECT_EQ(theirs.result(), status::not_found) << target << ": " << theirs.body();
    EXPECT_EQ(theirs.body().find("not yours"), std::string::npos) << target << ": " << theirs.body();
  }
  EXPECT_EQ(send(verb::get, "/v1/agents/bystander", std::nullopt, token).result(), status::not_found);
  const auto unknownRoom = jobToken("call_conv_nosuch");
  EXPECT_EQ(send(verb::get, "/v1/conversations/conv_nosuch", std::nullopt, unknownRoom).result(), status::not_found);
  EXPECT_EQ(send(verb::get, base, std::nullopt, jobToken("some-other-room")).result(), status::not_found);
}

TEST_P(WorkerApiTest, OtherTokensAreRefusedWithTheirReason) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto id = startCall("talker");
  const auto base = "/v1/conversations/" + id;
  // A caller's participant token (no agent grant) reaches nothing.
  const auto caller = send(verb::get, base, std::nullopt, jobToken("call_" + id, common::unixSeconds(), 3600, false));
  EXPECT_EQ(caller.result(), status::forbidden) << caller.body();
  EXPECT_NE(caller.body().find("video.agent"), std::string::npos) << caller.body();
  // Signed with a secret the server does not hold.
  const auto forged =
      send(verb::get, base, std::nullopt,
           jobToken("call_" + id, common::unixSeconds(), 3600, true, "another-secret-of-32-bytes!!!!!"));
  EXPECT_EQ(forged.result(), status::unauthorized) << forged.body();
  EXPECT_NE(forged.body().find("signature"), std::string::npos) << forged.body();
  EXPECT_EQ(send(verb::get, base, std::nullopt, "a.b.c").result(), status::unauthorized);
  // A server given no key set to verify job tokens with takes team keys only.
  ControlApi keysOnly(repo(), CallSettings{});
  common::HttpRequest req{verb::get, base, 11};
  req.set(field::authorization, "Bearer " + jobToken("call_" + id));
  const auto unverifiable = keysOnly.handle(req);
  EXPECT_EQ(unverifiable.result(), status::unauthorized) << unverifiable.body();
  EXPECT_NE(unverifiable.body().find("team API key"), std::string::npos) << unverifiable.body();
  EXPECT_EQ(send(verb::get, base, std::nullopt, jobToken("call_" + id)).result(), status::ok);
}

TEST_P(WorkerApiTest, AnExpiredJobTokenMayOnlyFinishItsLiveConversation) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto id = startCall("talker");
  const auto base = "/v1/conversations/" + id;
  // Issued 2 h ago for 1 h: expired an hour ago, within the grace.
  const auto expired = jobToken("call_" + id, common::unixSeconds() - 7200, 3600);
  ASSERT_EQ(send(verb::post, base + "/status", R"({"status": "in_progress"})").result(), status::ok);
  EXPECT_EQ(
      send(verb::post, base + "/turns", R"({"turn_id": "t1", "role": "user", "started_at": 1})", expired).result(),
      status::created);
  EXPECT_EQ(
      send(verb::post, base + "/usage",
           R"({"usage_id": "u1", "stage": "tts", "provider": "espeak", "unit": "characters", "quantity": 3})", expired)
          .result(),
      status::created);
  const auto read = send(verb::get, base, std::nullopt, expired);
  EXPECT_EQ(read.result(), status::unauthorized) << read.body();
  EXPECT_NE(read.body().find("expired"), std::string::npos) << read.body();
  EXPECT_EQ(send(verb::post, base + "/status", R"({"status": "ended", "end_reason": "user_hangup"})", expired).result(),
            status::ok);
  // Once the conversation is over, the expired token is dead.
  const auto late = send(verb::post, base + "/turns", R"({"turn_id": "t2", "role": "user", "started_at": 2})", expired);
  EXPECT_EQ(late.result(), status::unauthorized) << late.body();
  // Beyond the grace it is refused outright, even for a live conversation.
  const auto live = startCall("talker");
  const auto ancient = jobToken("call_" + live, common::unixSeconds() - int64_t{8} * 3600, 3600);
  const auto refused = send(verb::post, "/v1/conversations/" + live + "/turns",
                            R"({"turn_id": "t", "role": "user", "started_at": 1})", ancient);
  EXPECT_EQ(refused.result(), status::unauthorized) << refused.body();
  EXPECT_TRUE(repo().listTurns(teamId_, live).empty());
}

// --- the seed's sessions and the agent test call --------------------------------

TEST_P(WorkerApiTest, SessionsAreTheConversationsUnderTheSeedsPaths) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto started = send(verb::post, "/v1/sessions", R"({"agent_id": "talker", "parameters": {"name": "Ada"}})");
  ASSERT_EQ(started.result(), status::created) << started.body();
  const std::string id(bodyOf(started).at("conversation_id").as_string());
  EXPECT_FALSE(bodyOf(started).at("token").as_string().empty());

  const auto list = send(verb::get, "/v1/sessions?agent_id=talker&status=created&limit=5");
  ASSERT_EQ(list.result(), status::ok) << list.body();
  ASSERT_EQ(bodyOf(list).at("conversations").as_array().size(), 1u);
  EXPECT_EQ(bodyOf(list).at("conversations").at(0).at("id").as_string(), id);
  EXPECT_EQ(send(verb::get, "/v1/sessions?colour=red").result(), status::bad_request);

  const auto detail = send(verb::get, "/v1/sessions/" + id);
  ASSERT_EQ(detail.result(), status::ok);
  EXPECT_EQ(bodyOf(detail).at("parameters").at("name"), "Ada");
  ASSERT_EQ(send(verb::post, "/v1/conversations/" + id + "/turns",
                 R"({"turn_id": "t1", "role": "user", "text": "hello there", "started_at": 1})")
                .result(),
            status::created);
  const auto transcript = send(verb::get, "/v1/sessions/" + id + "/transcript?format=text");
  EXPECT_EQ(transcript.body(), "user: hello there\n");
  const auto cost = send(verb::get, "/v1/sessions/" + id + "/cost");
  ASSERT_EQ(cost.result(), status::ok) << cost.body();
  EXPECT_EQ(bodyOf(cost).at("currency"), "USD");

  const auto ended = send(verb::delete_, "/v1/sessions/" + id);
  ASSERT_EQ(ended.result(), status::ok) << ended.body();
  EXPECT_EQ(bodyOf(ended).at("status"), "ended");
  EXPECT_EQ(repo().getConversation(teamId_, id)->endReason, "ended_by_api");
  EXPECT_EQ(send(verb::delete_, "/v1/sessions/" + id).result(), status::conflict);
  EXPECT_EQ(send(verb::get, "/v1/sessions/conv_nosuch").result(), status::not_found);
  EXPECT_EQ(send(verb::put, "/v1/sessions/" + id).result(), status::method_not_allowed);
  EXPECT_EQ(send(verb::get, "/v1/sessions/" + id + "/webhook-deliveries").result(), status::not_found);

  // Another team sees none of it.
  const auto otherKey = repo().createApiKey(repo().createTeam("others"), "k").secret;
  EXPECT_EQ(send(verb::get, "/v1/sessions/" + id, std::nullopt, otherKey).result(), status::not_found);
}

TEST_P(WorkerApiTest, TestingAnAgentStartsABrowserCall) {
  storeAgent("talker", R"({"name":"talker"})");
  const auto res = send(verb::post, "/v1/agents/talker/test");
  ASSERT_EQ(res.result(), status::created) << res.body();
  const auto body = bodyOf(res);
  const std::string id(body.at("conversation_id").as_string());
  EXPECT_EQ(body.at("room").as_string(), "call_" + id);
  EXPECT_EQ(body.at("url"), "ws://127.0.0.1:7880");
  const auto grants = common::verifyAccessToken(
      body.at("token").as_string(), [](std::string_view) { return std::optional<std::string>(kSecret); },
      common::unixSeconds());
  ASSERT_TRUE(grants) << grants.error().message;
  EXPECT_EQ(grants->video->room, "call_" + id);
  EXPECT_TRUE(grants->video->roomJoin);
  EXPECT_EQ(repo().getConversation(teamId_, id)->agentId, "talker");

  const auto withBody =
      send(verb::post, "/v1/agents/talker/test", R"({"identity": "tester", "parameters": {"name": "Ada"}})");
  ASSERT_EQ(withBody.result(), status::created) << withBody.body();
  const std::string second(bodyOf(withBody).at("conversation_id").as_string());
  EXPECT_EQ(repo().getConversation(teamId_, second)->parametersJson, R"({"name":"Ada"})");

  const auto named = send(verb::post, "/v1/agents/talker/test", R"({"agent_id": "other"})");
  EXPECT_EQ(named.result(), status::bad_request) << named.body();
  EXPECT_TRUE(namesField(named, "agent_id", "unknown_field")) << named.body();
  EXPECT_EQ(send(verb::post, "/v1/agents/nosuch/test").result(), status::not_found);
  EXPECT_EQ(send(verb::get, "/v1/agents/talker/test").result(), status::method_not_allowed);
  const auto junk = send(verb::post, "/v1/agents/talker/test", R"({"colour": "red"})");
  EXPECT_TRUE(namesField(junk, "colour", "unknown_field")) << junk.body();
}

INSTANTIATE_TEST_SUITE_P(Stores, WorkerApiTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace convox::control_api::testing
