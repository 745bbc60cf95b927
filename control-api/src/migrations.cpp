#include "migrations.hpp"

namespace convox::control_api {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations{
      {1, R"sql(
CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  team_id TEXT NOT NULL REFERENCES teams(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX api_keys_team ON api_keys(team_id);
CREATE TABLE agents (
  team_id TEXT NOT NULL REFERENCES teams(id),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  config TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, id)
);
CREATE TABLE conversations (
  team_id TEXT NOT NULL REFERENCES teams(id),
  id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  status TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  room TEXT NOT NULL,
  parameters TEXT NOT NULL,
  results TEXT NOT NULL,
  error TEXT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT,
  PRIMARY KEY (team_id, id)
);
CREATE INDEX conversations_team_created ON conversations(team_id, created_at DESC, id DESC);
CREATE TABLE turns (
  team_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  turn_id TEXT NOT NULL,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  interrupted INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, conversation_id, turn_id),
  FOREIGN KEY (team_id, conversation_id) REFERENCES conversations(team_id, id)
);
)sql"},
      {2, R"sql(
CREATE TABLE webhook_deliveries (
  team_id TEXT NOT NULL,
  id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  conversation_id TEXT NOT NULL,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  status_code INTEGER,
  error TEXT,
  delivered INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, id, attempt)
);
CREATE INDEX webhook_deliveries_conversation ON webhook_deliveries(team_id, conversation_id, created_at);
)sql"},
      {3, R"sql(
CREATE TABLE usage_records (
  team_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  usage_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  unit TEXT NOT NULL,
  quantity_micros BIGINT NOT NULL,
  cost_micro_usd BIGINT,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, conversation_id, usage_id),
  FOREIGN KEY (team_id, conversation_id) REFERENCES conversations(team_id, id)
);
)sql"},
      // What the voice worker reports per turn, and why a conversation ended.
      {4, R"sql(
ALTER TABLE turns ADD COLUMN confidence_micros BIGINT;
ALTER TABLE turns ADD COLUMN language TEXT;
ALTER TABLE turns ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE turns ADD COLUMN user_speech_start_at BIGINT;
ALTER TABLE turns ADD COLUMN user_speech_end_at BIGINT;
ALTER TABLE turns ADD COLUMN vad_end_at BIGINT;
ALTER TABLE turns ADD COLUMN stt_final_at BIGINT;
ALTER TABLE turns ADD COLUMN llm_first_token_at BIGINT;
ALTER TABLE turns ADD COLUMN tts_first_audio_at BIGINT;
ALTER TABLE turns ADD COLUMN first_packet_out_at BIGINT;
ALTER TABLE turns ADD COLUMN playout_end_at BIGINT;
ALTER TABLE conversations ADD COLUMN end_reason TEXT;
CREATE INDEX conversations_room ON conversations(room);
)sql"},
      // A team's provider credentials: the API key sealed with AES-256-GCM
      // (see secret_box.hpp), only its last characters in clear for lists.
      {5, R"sql(
CREATE TABLE provider_credentials (
  team_id TEXT NOT NULL REFERENCES teams(id),
  provider TEXT NOT NULL,
  sealed_key TEXT,
  key_hint TEXT,
  base_url TEXT,
  config TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, provider)
);
)sql"},
      // Prices per team (the built-in defaults are in price_table.cpp), how
      // each usage record was priced, and what the analytics need computed
      // once at insert: stage latencies, the providers of a turn, its
      // agent, and per-team time indexes that hold every column the
      // analytics read (so a range is read from the index alone).
      {6, R"sql(
CREATE TABLE provider_prices (
  team_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  unit TEXT NOT NULL,
  price_nano_usd BIGINT NOT NULL,
  per_units BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (team_id, provider, model, unit)
);
ALTER TABLE usage_records ADD COLUMN agent_id TEXT;
ALTER TABLE usage_records ADD COLUMN cost_source TEXT;
UPDATE usage_records SET cost_source = 'reported' WHERE cost_micro_usd IS NOT NULL;
UPDATE usage_records SET agent_id = (SELECT c.agent_id FROM conversations c
  WHERE c.team_id = usage_records.team_id AND c.id = usage_records.conversation_id);
CREATE INDEX usage_records_team_recorded ON usage_records(team_id, recorded_at, agent_id, stage, provider, model,
  unit, cost_micro_usd, quantity_micros);
ALTER TABLE turns ADD COLUMN agent_id TEXT;
ALTER TABLE turns ADD COLUMN stt_provider TEXT;
ALTER TABLE turns ADD COLUMN llm_provider TEXT;
ALTER TABLE turns ADD COLUMN tts_provider TEXT;
ALTER TABLE turns ADD COLUMN stt_ms BIGINT;
ALTER TABLE turns ADD COLUMN llm_ms BIGINT;
ALTER TABLE turns ADD COLUMN tts_ms BIGINT;
ALTER TABLE turns ADD COLUMN voice_to_voice_ms BIGINT;
UPDATE turns SET agent_id = (SELECT c.agent_id FROM conversations c
  WHERE c.team_id = turns.team_id AND c.id = turns.conversation_id);
UPDATE turns SET stt_ms = stt_final_at - user_speech_end_at
  WHERE stt_final_at IS NOT NULL AND user_speech_end_at IS NOT NULL;
UPDATE turns SET llm_ms = llm_first_token_at - stt_final_at
  WHERE llm_first_token_at IS NOT NULL AND stt_final_at IS NOT NULL;
UPDATE turns SET tts_ms = tts_first_audio_at - llm_first_token_at
  WHERE tts_first_audio_at IS NOT NULL AND llm_first_token_at IS NOT NULL;
UPDATE turns SET voice_to_voice_ms = first_packet_out_at - user_speech_end_at
  WHERE first_packet_out_at IS NOT NULL AND user_speech_end_at IS NOT NULL;
CREATE INDEX turns_team_started ON turns(team_id, started_at, role, agent_id, stt_provider, stt_ms, llm_provider,
  llm_ms, tts_provider, tts_ms, voice_to_voice_ms);
CREATE TABLE turn_provider_events (
  team_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  turn_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  agent_id TEXT,
  at BIGINT NOT NULL,
  stage TEXT NOT NULL,
  provider TEXT NOT NULL,
  event TEXT NOT NULL,
  reason TEXT,
  to_provider TEXT,
  PRIMARY KEY (team_id, conversation_id, turn_id, seq)
);
CREATE INDEX turn_provider_events_team_at ON turn_provider_events(team_id, at);
CREATE INDEX conversations_team_agent_created ON conversations(team_id, agent_id, created_at);
)sql"},
      // Usage the worker estimated rather than measured (an LLM reply cut
      // by barge-in reports no usage of its own): marked, so its part of a
      // cost can be shown. Rows before it were all measured. The analytics'
      // covering index gains the column.
      {7, R"sql(
ALTER TABLE usage_records ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
DROP INDEX usage_records_team_recorded;
CREATE INDEX usage_records_team_recorded ON usage_records(team_id, recorded_at, agent_id, stage, provider, model,
  unit, cost_micro_usd, quantity_micros, estimated);
)sql"},
  };
  return kMigrations;
}

}  // namespace convox::control_api
