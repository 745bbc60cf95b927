// Teams, API keys, agents and the migration runner.
#include "control_api/repository.hpp"

#include "common/digest.hpp"
#include "common/ids.hpp"
#include "migrations.hpp"
#include "row_reader.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace convox::control_api {

std::string hashApiKey(const std::string& secret) { return common::hexEncode(common::sha256(secret)); }

namespace {

constexpr std::string_view kKeyPrefix = "cvx_";
constexpr size_t kKeyCharacters = 48;

std::string randomKeySecret() {
  std::array<unsigned char, kKeyCharacters / 2> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw StoreError("no randomness for an API key");
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string out(kKeyPrefix);
  // 24 bytes -> 48 base62-ish characters; the modulo bias is irrelevant at 190 bits.
  for (size_t i = 0; i < bytes.size(); ++i) {
    out.push_back(kAlphabet[bytes[i] % 62]);
    out.push_back(kAlphabet[(bytes[i] / 62 + bytes[(i + 1) % bytes.size()]) % 62]);
  }
  return out;
}

ApiKeyInfo readKey(const SqlRow& row) {
  RowReader r(row);
  ApiKeyInfo k;
  k.id = r.text();
  k.teamId = r.text();
  k.name = r.text();
  k.prefix = r.text();
  k.createdAt = r.integer();
  k.revokedAt = r.optionalInteger();
  return k;
}

AgentRecord readAgent(const SqlRow& row) {
  RowReader r(row);
  AgentRecord a;
  a.id = r.text();
  a.name = r.text();
  a.version = r.integer();
  a.configJson = r.text();
  a.createdAt = r.integer();
  a.updatedAt = r.integer();
  return a;
}

constexpr const char* kKeyColumns = "id, team_id, name, prefix, created_at, revoked_at";
constexpr const char* kAgentColumns = "id, name, version, config, created_at, updated_at";

}  // namespace

bool looksLikeApiKey(std::string_view key) {
  if (key.size() != kKeyPrefix.size() + kKeyCharacters || !key.starts_with(kKeyPrefix)) return false;
  return std::all_of(key.begin() + static_cast<std::ptrdiff_t>(kKeyPrefix.size()), key.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

Repository::Repository(std::unique_ptr<SqlConnection> connection) : sql_(std::move(connection)) { migrate(); }

void Repository::migrate() {
  sql_->execScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);");
  const int current = schemaVersion();
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    try {
      sql_->execScript("BEGIN;\n" + m.sql + "\nINSERT INTO schema_migrations (version, applied_at) VALUES (" +
                       std::to_string(m.version) + ", " + std::to_string(common::unixMillis()) + ");\nCOMMIT;");
    } catch (const StoreError& e) {
      try {
        sql_->execScript("ROLLBACK;");
      } catch (const StoreError&) {  // nothing was open
      }
      // Another server starting on the same store may have applied it first.
      if (schemaVersion() >= m.version) continue;
      throw StoreError("migration " + std::to_string(m.version) + " failed: " + e.what());
    }
  }
}

int Repository::schemaVersion() {
  const auto rows = sql_->query("SELECT MAX(version) FROM schema_migrations", {});
  if (rows.empty() || !rows[0][0]) return 0;
  return static_cast<int>(RowReader(rows[0]).integer());
}

std::string Repository::createTeam(const std::string& name) {
  auto id = common::newId("team_");
  sql_->query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)",
              {id, name, std::to_string(common::unixMillis())});
  return id;
}

void Repository::ensureTeamWithKey(const std::string& teamId, const std::string& teamName, const std::string& keyId,
                                   const std::string& secret) {
  const auto now = std::to_string(common::unixMillis());
  sql_->query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
              {teamId, teamName, now});
  sql_->query(
      "INSERT INTO api_keys (id, team_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
      "ON CONFLICT (id) DO NOTHING",
      {keyId, teamId, "dev", secret.substr(0, 8), hashApiKey(secret), now});
}

CreatedApiKey Repository::createApiKey(const std::string& teamId, const std::string& name) {
  CreatedApiKey created;
  created.secret = randomKeySecret();
  auto& info = created.info;
  info.id = common::newId("key_");
  info.teamId = teamId;
  info.name = name;
  info.prefix = created.secret.substr(0, 8);
  info.createdAt = common::unixMillis();
  sql_->query("INSERT INTO api_keys (id, team_id, name, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
              {info.id, teamId, name, info.prefix, hashApiKey(created.secret), std::to_string(info.createdAt)});
  return created;
}

std::optional<ApiKeyInfo> Repository::authenticate(const std::string& secret) {
  const auto rows =
      sql_->query(std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                  {hashApiKey(secret)});
  if (rows.empty()) return std::nullopt;
  return readKey(rows[0]);
}

std::vector<ApiKeyInfo> Repository::listApiKeys(const std::string& teamId) {
  std::vector<ApiKeyInfo> out;
  for (const auto& row :
       sql_->query(std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE team_id = $1 ORDER BY created_at, id",
                   {teamId})) {
    out.push_back(readKey(row));
  }
  return out;
}

bool Repository::revokeApiKey(const std::string& teamId, const std::string& keyId, int64_t now) {
  return !sql_->query(
                  "UPDATE api_keys SET revoked_at = $3 WHERE team_id = $1 AND id = $2 AND revoked_at IS NULL "
                  "RETURNING id",
                  {teamId, keyId, std::to_string(now)})
              .empty();
}

bool Repository::createAgent(const std::string& teamId, const AgentRecord& agent) {
  return !sql_->query(
                  "INSERT INTO agents (team_id, id, name, version, config, created_at, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (team_id, id) DO NOTHING RETURNING id",
                  {teamId, agent.id, agent.name, std::to_string(agent.version), agent.configJson,
                   std::to_string(agent.createdAt), std::to_string(agent.updatedAt)})
              .empty();
}

std::optional<AgentRecord> Repository::getAgent(const std::string& teamId, const std::string& agentId) {
  const auto rows = sql_->query(std::string("SELECT ") + kAgentColumns + " FROM agents WHERE team_id = $1 AND id = $2",
                                {teamId, agentId});
  if (rows.empty()) return std::nullopt;
  return readAgent(rows[0]);
}

std::vector<AgentRecord> Repository::listAgents(const std::string& teamId) {
  std::vector<AgentRecord> out;
  for (const auto& row :
       sql_->query(std::string("SELECT ") + kAgentColumns + " FROM agents WHERE team_id = $1 ORDER BY id", {teamId})) {
    out.push_back(readAgent(row));
  }
  return out;
}

std::variant<AgentRecord, UpdateFailure> Repository::updateAgent(const std::string& teamId, const std::string& agentId,
                                                                 const std::string& name, const std::string& configJson,
                                                                 std::optional<int64_t> expectedVersion, int64_t now) {
  // One statement: the version check and the write cannot be split by another writer.
  const auto rows =
      sql_->query(std::string("UPDATE agents SET name = $3, config = $4, version = version + 1, updated_at = $5 "
                              "WHERE team_id = $1 AND id = $2 AND (CAST($6 AS BIGINT) IS NULL OR version = CAST($6 AS "
                              "BIGINT)) RETURNING ") +
                      kAgentColumns,
                  {teamId, agentId, name, configJson, std::to_string(now),
                   expectedVersion ? SqlValue(std::to_string(*expectedVersion)) : std::nullopt});
  if (!rows.empty()) return readAgent(rows[0]);
  if (getAgent(teamId, agentId)) return UpdateFailure::VersionConflict;
  return UpdateFailure::NotFound;
}

bool Repository::deleteAgent(const std::string& teamId, const std::string& agentId) {
  return !sql_->query("DELETE FROM agents WHERE team_id = $1 AND id = $2 RETURNING id", {teamId, agentId}).empty();
}

std::vector<std::pair<std::string, AgentRecord>> Repository::findAgentsContaining(const std::string& text) {
  std::vector<std::pair<std::string, AgentRecord>> out;
  // instr/strpos differ between the stores; LIKE with escaped wildcards is in both.
  std::string pattern = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  for (const auto& row : sql_->query(std::string("SELECT ") + kAgentColumns +
                                         ", team_id FROM agents WHERE config LIKE $1 ESCAPE '\\' ORDER BY team_id, id",
                                     {pattern})) {
    out.emplace_back(row.back().value_or(""), readAgent(row));
  }
  return out;
}

bool Repository::rewriteAgentConfig(const std::string& teamId, const std::string& agentId, int64_t expectedVersion,
                                    const std::string& configJson) {
  return !sql_->query(
                  "UPDATE agents SET config = $4 WHERE team_id = $1 AND id = $2 AND version = CAST($3 AS BIGINT) "
                  "RETURNING id",
                  {teamId, agentId, std::to_string(expectedVersion), configJson})
              .empty();
}

}  // namespace convox::control_api
