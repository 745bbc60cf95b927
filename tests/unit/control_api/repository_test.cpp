// The repository suite, run unchanged on SQLite and on a real PostgreSQL.
#include "common/ids.hpp"
#include "control_api/control_api.hpp"
#include "migrations.hpp"
#include "store_fixture.hpp"

namespace convox::control_api::testing {
namespace {

ConversationRecord conversation(const std::string& id, const std::string& agentId, int64_t createdAt,
                                const std::string& status = "created") {
  ConversationRecord c;
  c.id = id;
  c.agentId = agentId;
  c.status = status;
  c.traceId = "trace-" + id;
  c.room = "room-" + id;
  c.createdAt = createdAt;
  return c;
}

AgentRecord agent(const std::string& id, const std::string& name) {
  AgentRecord a;
  a.id = id;
  a.name = name;
  a.configJson = R"({"name":")" + name + R"("})";
  a.createdAt = a.updatedAt = 1000;
  return a;
}

TEST_P(StoreTest, MigrationsRunOnceAndDataSurvivesReopening) {
  const int version = repo().schemaVersion();
  EXPECT_GE(version, 1);
  const auto team = repo().createTeam("durable");
  ASSERT_TRUE(repo().createAgent(team, agent("a1", "first")));
  repo().createConversation(team, conversation("c1", "a1", 5000));
  EXPECT_TRUE(repo().addTurn(team, "c1", {"t1", "user", "héllo, \"world\"", 10, false}, 20));
  reopen();
  EXPECT_EQ(repo().schemaVersion(), version);
  ASSERT_TRUE(repo().getAgent(team, "a1"));
  EXPECT_EQ(repo().getAgent(team, "a1")->name, "first");
  const auto turns = repo().listTurns(team, "c1");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].text, "héllo, \"world\"");
}

TEST_P(StoreTest, ApiKeysAreStoredHashedAndRevocable) {
  const auto team = repo().createTeam("keys");
  const auto other = repo().createTeam("other");
  const auto created = repo().createApiKey(team, "ci");
  EXPECT_EQ(created.secret.rfind("cvx_", 0), 0u);
  EXPECT_GE(created.secret.size(), 36u);
  const auto who = repo().authenticate(created.secret);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->teamId, team);
  EXPECT_FALSE(repo().authenticate(created.secret + "x"));

  // What is stored is the SHA-256, never the key.
  auto raw = connect();
  const auto rows = raw->query("SELECT key_hash FROM api_keys WHERE id = $1", {created.info.id});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(*rows[0][0], hashApiKey(created.secret));
  EXPECT_EQ(rows[0][0]->size(), 64u);
  EXPECT_EQ(rows[0][0]->find(created.secret), std::string::npos);

  EXPECT_FALSE(repo().revokeApiKey(other, created.info.id, 1));  // not theirs
  EXPECT_TRUE(repo().authenticate(created.secret));
  EXPECT_TRUE(repo().revokeApiKey(team, created.info.id, 2));
  EXPECT_FALSE(repo().authenticate(created.secret));
  EXPECT_FALSE(repo().revokeApiKey(team, created.info.id, 3));  // already revoked
  const auto keys = repo().listApiKeys(team);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].revokedAt, 2);
  EXPECT_TRUE(repo().listApiKeys(other).empty());
}

TEST_P(StoreTest, DevTeamIsIdempotent) {
  ensureDevTeam(repo());
  ensureDevTeam(repo());
  reopen();
  ensureDevTeam(repo());
  const auto who = repo().authenticate(kDevApiKey);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->teamId, kDevTeamId);
  EXPECT_EQ(repo().listApiKeys(kDevTeamId).size(), 1u);
}

TEST_P(StoreTest, ARevokedDevKeyStaysRevokedAcrossDevStarts) {
  ensureDevTeam(repo());
  // The PostgreSQL database outlives this test (the interop suite's --dev
  // servers use it next): live again afterwards, whatever happens here.
  struct Unrevoke {
    SqlConnection& sql;
    ~Unrevoke() { sql.query("UPDATE api_keys SET revoked_at = NULL WHERE team_id = $1", {kDevTeamId}); }
  };
  const auto raw = connect();
  const Unrevoke unrevoke{*raw};
  ASSERT_TRUE(repo().revokeApiKey(kDevTeamId, repo().listApiKeys(kDevTeamId).at(0).id, 42));
  ensureDevTeam(repo());
  reopen();
  ensureDevTeam(repo());
  EXPECT_FALSE(repo().authenticate(kDevApiKey));
  EXPECT_TRUE(devKeyStored(repo()));
}

TEST_P(StoreTest, DevKeyStoredTellsWhetherDevDataExists) {
  if (GetParam() == Backend::Sqlite) {
    EXPECT_FALSE(devKeyStored(repo()));  // a new file; the PostgreSQL database is shared
  }
  ensureDevTeam(repo());
  EXPECT_TRUE(devKeyStored(repo()));
}

TEST_P(StoreTest, AgentsAreTeamScopedAndVersioned) {
  const auto team = repo().createTeam("a");
  const auto other = repo().createTeam("b");
  ASSERT_TRUE(repo().createAgent(team, agent("support", "Support")));
  EXPECT_FALSE(repo().createAgent(team, agent("support", "Again")));
  EXPECT_TRUE(repo().createAgent(other, agent("support", "Theirs")));  // ids are per team
  EXPECT_EQ(repo().getAgent(team, "support")->name, "Support");
  EXPECT_EQ(repo().getAgent(other, "support")->name, "Theirs");

  auto updated = repo().updateAgent(team, "support", "Support v2", R"({"name":"Support v2"})", 1, 2000);
  ASSERT_TRUE(std::holds_alternative<AgentRecord>(updated));
  EXPECT_EQ(std::get<AgentRecord>(updated).version, 2);
  EXPECT_EQ(std::get<AgentRecord>(updated).updatedAt, 2000);
  auto stale = repo().updateAgent(team, "support", "lost", "{}", 1, 3000);
  ASSERT_TRUE(std::holds_alternative<UpdateFailure>(stale));
  EXPECT_EQ(std::get<UpdateFailure>(stale), UpdateFailure::VersionConflict);
  auto unconditional = repo().updateAgent(team, "support", "Support v3", "{}", std::nullopt, 4000);
  ASSERT_TRUE(std::holds_alternative<AgentRecord>(unconditional));
  EXPECT_EQ(std::get<AgentRecord>(unconditional).version, 3);
  auto missing = repo().updateAgent(team, "nobody", "x", "{}", std::nullopt, 1);
  EXPECT_EQ(std::get<UpdateFailure>(missing), UpdateFailure::NotFound);

  EXPECT_EQ(repo().getAgent(other, "support")->version, 1);  // untouched
  EXPECT_TRUE(repo().deleteAgent(other, "support"));
  EXPECT_FALSE(repo().getAgent(other, "support"));
  EXPECT_TRUE(repo().getAgent(team, "support"));
  ASSERT_EQ(repo().listAgents(team).size(), 1u);
}

TEST_P(StoreTest, ConversationPagesWalkEveryRowOnceNewestFirst) {
  const auto team = repo().createTeam("pages");
  const auto other = repo().createTeam("noise");
  // Equal timestamps test the id tie-break of the cursor.
  const std::vector<std::pair<std::string, int64_t>> rows{{"c1", 100}, {"c2", 200}, {"c3", 200}, {"c4", 200},
                                                          {"c5", 300}, {"c6", 400}, {"c7", 500}};
  for (const auto& [id, at] : rows) repo().createConversation(team, conversation(id, id < "c4" ? "x" : "y", at));
  repo().createConversation(other, conversation("c9", "x", 250));

  std::vector<std::string> seen;
  ConversationFilter filter;
  filter.limit = 3;
  for (int page = 0; page < 10; ++page) {
    const auto got = repo().listConversations(team, filter);
    for (const auto& c : got) seen.push_back(c.id);
    if (got.size() < 3) break;
    filter.after = ConversationCursor{got.back().createdAt, got.back().id};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"c7", "c6", "c5", "c4", "c3", "c2", "c1"}));

  ConversationFilter byAgent;
  byAgent.agentId = "x";
  EXPECT_EQ(repo().listConversations(team, byAgent).size(), 3u);
  ConversationFilter byTime;
  byTime.createdFrom = 200;
  byTime.createdUntil = 400;
  EXPECT_EQ(repo().listConversations(team, byTime).size(), 4u);
  ConversationFilter byStatus;
  byStatus.status = "ended";
  EXPECT_TRUE(repo().listConversations(team, byStatus).empty());
  EXPECT_EQ(repo().listConversations(other, {}).size(), 1u);
}

TEST_P(StoreTest, TurnsAreStoredOncePerTurnId) {
  const auto team = repo().createTeam("turns");
  repo().createConversation(team, conversation("c1", "a", 1));
  EXPECT_TRUE(repo().addTurn(team, "c1", {"t2", "agent", "hi there", 2000, true}, 1));
  EXPECT_TRUE(repo().addTurn(team, "c1", {"t1", "user", "hello", 1000, false}, 1));
  EXPECT_FALSE(repo().addTurn(team, "c1", {"t1", "user", "changed", 1000, false}, 2));
  const auto turns = repo().listTurns(team, "c1");
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].turnId, "t1");
  EXPECT_EQ(turns[0].text, "hello");  // the first write wins
  EXPECT_EQ(turns[1].role, "agent");
  EXPECT_TRUE(turns[1].interrupted);

  // Another team cannot attach turns to this conversation: the (team, conversation) key does not exist for it.
  const auto other = repo().createTeam("intruder");
  EXPECT_THROW(repo().addTurn(other, "c1", {"t3", "user", "x", 1, false}, 1), StoreError);
  EXPECT_TRUE(repo().listTurns(other, "c1").empty());
}

TEST_P(StoreTest, UsageIsStoredOncePerUsageIdWithExactAmounts) {
  const auto team = repo().createTeam("usage");
  repo().createConversation(team, conversation("c1", "a", 1));
  UsageRecord priced{"u1", "llm", "openai", "gpt-4o-mini", "input_tokens", 1'200'000'000, 180, 50};
  UsageRecord unpriced{"u2", "tts", "piper", "", "characters", 420'000'000, std::nullopt, 40};
  EXPECT_TRUE(repo().addUsage(team, "c1", priced));
  EXPECT_TRUE(repo().addUsage(team, "c1", unpriced));
  auto changed = priced;
  changed.costMicroUsd = 999;
  EXPECT_FALSE(repo().addUsage(team, "c1", changed));
  const auto usage = repo().listUsage(team, "c1");
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].usageId, "u2");  // ordered by recorded_at
  EXPECT_EQ(usage[0].model, "");
  EXPECT_FALSE(usage[0].costMicroUsd);
  EXPECT_EQ(usage[1].quantityMicros, 1'200'000'000);
  EXPECT_EQ(usage[1].costMicroUsd, 180);  // the first write wins

  const auto other = repo().createTeam("intruder");
  EXPECT_THROW(repo().addUsage(other, "c1", {"u3", "stt", "x", "", "requests", 1, 1, 1}), StoreError);
  EXPECT_TRUE(repo().listUsage(other, "c1").empty());
}

TEST_P(StoreTest, StatusMovesForwardAndFinalStatesStick) {
  const auto team = repo().createTeam("status");
  repo().createConversation(team, conversation("c1", "a", 1));
  auto live = repo().changeStatus(team, "c1", {"in_progress", std::nullopt, std::nullopt}, 1000);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->startedAt, 1000);
  EXPECT_FALSE(live->endedAt);
  auto ended = repo().changeStatus(team, "c1", {"ended", std::nullopt, R"({"booked":true})"}, 4500);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->startedAt, 1000);
  EXPECT_EQ(ended->endedAt, 4500);
  EXPECT_EQ(ended->resultsJson, R"({"booked":true})");
  EXPECT_FALSE(repo().changeStatus(team, "c1", {"in_progress", std::nullopt, std::nullopt}, 5000));
  EXPECT_EQ(repo().getConversation(team, "c1")->status, "ended");
  const auto other = repo().createTeam("other");
  EXPECT_FALSE(repo().getConversation(other, "c1"));
  repo().createConversation(team, conversation("c2", "a", 1));
  EXPECT_FALSE(repo().changeStatus(other, "c2", {"failed", "nope", std::nullopt}, 1));
  EXPECT_EQ(repo().getConversation(team, "c2")->status, "created");
}

TEST_P(StoreTest, TurnsKeepConfidenceLanguageTimingsAndTheRedactionFlag) {
  const auto team = repo().createTeam("worker turns");
  repo().createConversation(team, conversation("c1", "a", 1));
  TurnRecord user{"u1", "user", "book a table", 1000, false};
  user.confidenceMicros = 912'345;
  user.language = "hi-IN";
  user.timings.userSpeechStart = 1000;
  user.timings.userSpeechEnd = 2400;
  user.timings.vadEnd = 2950;
  user.timings.sttFinal = 3010;
  TurnRecord agentTurn{"a1", "agent", "", 3100, true};
  agentTurn.redacted = true;
  agentTurn.timings.llmFirstToken = 3300;
  agentTurn.timings.ttsFirstAudio = 3420;
  agentTurn.timings.firstPacketOut = 3441;
  agentTurn.timings.playoutEnd = 5000;
  ASSERT_TRUE(repo().addTurn(team, "c1", user, 1));
  ASSERT_TRUE(repo().addTurn(team, "c1", agentTurn, 1));
  reopen();  // what was committed, not what a connection cached
  const auto turns = repo().listTurns(team, "c1");
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].confidenceMicros, 912'345);
  EXPECT_EQ(turns[0].language, "hi-IN");
  EXPECT_FALSE(turns[0].redacted);
  EXPECT_EQ(turns[0].timings.userSpeechStart, 1000);
  EXPECT_EQ(turns[0].timings.userSpeechEnd, 2400);
  EXPECT_EQ(turns[0].timings.vadEnd, 2950);
  EXPECT_EQ(turns[0].timings.sttFinal, 3010);
  EXPECT_FALSE(turns[0].timings.llmFirstToken);
  EXPECT_FALSE(turns[0].timings.playoutEnd);
  EXPECT_TRUE(turns[1].redacted);
  EXPECT_EQ(turns[1].text, "");
  EXPECT_FALSE(turns[1].confidenceMicros);
  EXPECT_FALSE(turns[1].language);
  EXPECT_FALSE(turns[1].timings.userSpeechEnd);
  EXPECT_EQ(turns[1].timings.llmFirstToken, 3300);
  EXPECT_EQ(turns[1].timings.ttsFirstAudio, 3420);
  EXPECT_EQ(turns[1].timings.firstPacketOut, 3441);
  EXPECT_EQ(turns[1].timings.playoutEnd, 5000);
}

TEST_P(StoreTest, TheEndReasonIsKeptByTheMoveToAFinalStateOnly) {
  const auto team = repo().createTeam("reasons");
  repo().createConversation(team, conversation("c1", "a", 1));
  const auto live = repo().changeStatus(team, "c1", {"in_progress", std::nullopt, std::nullopt, "ignored"}, 10);
  ASSERT_TRUE(live);
  EXPECT_FALSE(live->endReason);
  const auto ended = repo().changeStatus(team, "c1", {"ended", std::nullopt, std::nullopt, "silence_timeout"}, 20);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->endReason, "silence_timeout");
  EXPECT_FALSE(repo().changeStatus(team, "c1", {"failed", "late", std::nullopt, "crash"}, 30));
  EXPECT_EQ(repo().getConversation(team, "c1")->endReason, "silence_timeout");
  repo().createConversation(team, conversation("c2", "a", 1));
  const auto failed = repo().changeStatus(team, "c2", {"failed", "stt down", std::nullopt, "provider_error"}, 20);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->endReason, "provider_error");
  EXPECT_EQ(failed->error, "stt down");
}

// A job token names a room, not a team: the conversation is found by room
// alone, with the team it belongs to.
TEST_P(StoreTest, AConversationIsFoundByItsRoomWithItsTeam) {
  const auto team = repo().createTeam("rooms");
  const auto other = repo().createTeam("other rooms");
  auto mine = conversation(common::newId("conv_"), "a", 1);
  mine.room = "call_" + mine.id;
  auto theirs = conversation(common::newId("conv_"), "b", 1);
  theirs.room = "call_" + theirs.id;
  repo().createConversation(team, mine);
  repo().createConversation(other, theirs);
  const auto found = repo().findConversationByRoom(mine.room);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->teamId, team);
  EXPECT_EQ(found->conversation.id, mine.id);
  EXPECT_EQ(found->conversation.agentId, "a");
  const auto foundTheirs = repo().findConversationByRoom(theirs.room);
  ASSERT_TRUE(foundTheirs);
  EXPECT_EQ(foundTheirs->teamId, other);
  EXPECT_FALSE(repo().findConversationByRoom("call_" + common::newId("conv_")));
}

// Rows written before migration 4 (only the old columns) read back with no
// worker fields: not redacted, no confidence, language, timings or end reason.
TEST_P(StoreTest, RowsFromBeforeTheWorkerFieldsReadBackWithout) {
  const auto team = repo().createTeam("older rows");
  const auto raw = connect();
  raw->query(
      "INSERT INTO conversations (team_id, id, agent_id, status, trace_id, room, parameters, results, error, "
      "created_at, started_at, ended_at) VALUES ($1, 'old', 'a', 'ended', 't', 'room-old', '{}', '{}', NULL, 1, 1, 2)",
      {team});
  raw->query(
      "INSERT INTO turns (team_id, conversation_id, turn_id, role, text, started_at, interrupted, created_at) "
      "VALUES ($1, 'old', 't1', 'user', 'before', 1, 0, 1)",
      {team});
  const auto turns = repo().listTurns(team, "old");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].text, "before");
  EXPECT_FALSE(turns[0].redacted);
  EXPECT_FALSE(turns[0].confidenceMicros);
  EXPECT_FALSE(turns[0].language);
  EXPECT_FALSE(turns[0].timings.userSpeechEnd);
  EXPECT_FALSE(turns[0].timings.playoutEnd);
  const auto conversation = repo().getConversation(team, "old");
  ASSERT_TRUE(conversation);
  EXPECT_FALSE(conversation->endReason);
}

// Review of issue 14: usage the worker estimated keeps its mark; a repeat
// of its id does not change it.
TEST_P(StoreTest, UsageKeepsItsEstimatedMark) {
  const auto team = repo().createTeam("estimates");
  repo().createConversation(team, conversation("c1", "a", 1));
  UsageRecord measured{"u1", "llm", "openai", "gpt-4o-mini", "input_tokens", 12'000'000, 2, 10};
  auto estimated = measured;
  estimated.usageId = "u2";
  estimated.quantityMicros = 30'000'000;
  estimated.estimated = true;
  EXPECT_TRUE(repo().addUsage(team, "c1", measured));
  EXPECT_TRUE(repo().addUsage(team, "c1", estimated));
  auto repeat = estimated;
  repeat.estimated = false;
  EXPECT_FALSE(repo().addUsage(team, "c1", repeat));
  const auto usage = repo().listUsage(team, "c1");
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_FALSE(usage[0].estimated);
  EXPECT_TRUE(usage[1].estimated);
  EXPECT_EQ(usage[1].quantityMicros, 30'000'000);
}

// Rows written without the column (as before migration 7) read as measured.
TEST_P(StoreTest, UsageRowsWithoutTheEstimatedColumnReadAsMeasured) {
  const auto team = repo().createTeam("older usage");
  repo().createConversation(team, conversation("c1", "a", 1));
  connect()->query(
      "INSERT INTO usage_records (team_id, conversation_id, usage_id, stage, provider, model, unit, quantity_micros, "
      "cost_micro_usd, recorded_at) VALUES ($1, 'c1', 'old', 'llm', 'openai', 'gpt-4o-mini', 'input_tokens', 1000000, "
      "1, 5)",
      {team});
  const auto usage = repo().listUsage(team, "c1");
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_FALSE(usage[0].estimated);
}

// The upgrade itself: a store left at schema 6 with usage in it, opened by
// this version, gains the column, its rows read as measured, and the
// analytics' index still covers the cost query.
TEST_P(StoreTest, MigrationSevenMarksTheUsageAlreadyStoredAsMeasured) {
  const auto url = emptyStoreUrl();
  {
    const auto raw = connectTo(url);
    raw->execScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);");
    for (const auto& m : migrations()) {
      if (m.version > 6) break;
      raw->execScript("BEGIN;\n" + m.sql + "\nINSERT INTO schema_migrations (version, applied_at) VALUES (" +
                      std::to_string(m.version) + ", 1);\nCOMMIT;");
    }
    raw->execScript(
        "INSERT INTO teams (id, name, created_at) VALUES ('team_old', 'old', 1);"
        "INSERT INTO conversations (team_id, id, agent_id, status, trace_id, room, parameters, results, created_at) "
        "VALUES ('team_old', 'c1', 'a1', 'ended', 't', 'room-c1', '{}', '{}', 1);"
        "INSERT INTO usage_records (team_id, conversation_id, usage_id, stage, provider, model, unit, quantity_micros, "
        "cost_micro_usd, recorded_at, agent_id, cost_source) VALUES ('team_old', 'c1', 'u1', 'llm', 'openai', "
        "'gpt-4o-mini', 'input_tokens', 1000000000, 150, 100, 'a1', 'price_table');");
  }
  Repository upgraded(connectTo(url));
  EXPECT_EQ(upgraded.schemaVersion(), migrations().back().version);
  EXPECT_GE(upgraded.schemaVersion(), 7);
  const auto usage = upgraded.listUsage("team_old", "c1");
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_FALSE(usage[0].estimated);
  EXPECT_EQ(usage[0].costMicroUsd, 150);
  UsageRecord estimated{"u2", "llm", "openai", "gpt-4o-mini", "output_tokens", 5'000'000, 3, 200};
  estimated.estimated = true;
  EXPECT_TRUE(upgraded.addUsage("team_old", "c1", estimated, "a1"));
  const auto rows = upgraded.costByBucket("team_old", {0, 1000, std::nullopt}, 1000);
  ASSERT_EQ(rows.size(), 2u);       // input_tokens, output_tokens
  EXPECT_EQ(rows[0].values[4], 0);  // the old row: no estimated cost
  EXPECT_EQ(rows[0].values[5], 0);
  EXPECT_EQ(rows[1].values[4], 3);
  EXPECT_EQ(rows[1].values[5], 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace convox::control_api::testing
