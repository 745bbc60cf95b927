// Provider credentials: one row per team and provider, the key sealed.
#include "control_api/repository.hpp"
#include "row_reader.hpp"

namespace convox::control_api {
namespace {

constexpr const char* kColumns = "provider, sealed_key, key_hint, base_url, config, created_at, updated_at";

ProviderCredentialRecord readCredential(const SqlRow& row) {
  RowReader r(row);
  ProviderCredentialRecord c;
  c.provider = r.text();
  c.sealedKey = r.optionalText();
  c.keyHint = r.optionalText();
  c.baseUrl = r.optionalText();
  c.configJson = r.text();
  c.createdAt = r.integer();
  c.updatedAt = r.integer();
  return c;
}

}  // namespace

void Repository::putProviderCredential(const std::string& teamId, const ProviderCredentialRecord& c) {
  sql_->query(
      "INSERT INTO provider_credentials (team_id, provider, sealed_key, key_hint, base_url, config, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (team_id, provider) DO UPDATE SET "
      "sealed_key = excluded.sealed_key, key_hint = excluded.key_hint, base_url = excluded.base_url, "
      "config = excluded.config, updated_at = excluded.updated_at",
      {teamId, c.provider, c.sealedKey, c.keyHint, c.baseUrl, c.configJson, std::to_string(c.createdAt),
       std::to_string(c.updatedAt)});
}

std::optional<ProviderCredentialRecord> Repository::getProviderCredential(const std::string& teamId,
                                                                          const std::string& provider) {
  const auto rows =
      sql_->query(std::string("SELECT ") + kColumns + " FROM provider_credentials WHERE team_id = $1 AND provider = $2",
                  {teamId, provider});
  if (rows.empty()) return std::nullopt;
  return readCredential(rows[0]);
}

std::vector<ProviderCredentialRecord> Repository::listProviderCredentials(const std::string& teamId) {
  std::vector<ProviderCredentialRecord> out;
  for (const auto& row : sql_->query(
           std::string("SELECT ") + kColumns + " FROM provider_credentials WHERE team_id = $1 ORDER BY provider",
           {teamId})) {
    out.push_back(readCredential(row));
  }
  return out;
}

bool Repository::deleteProviderCredential(const std::string& teamId, const std::string& provider) {
  return !sql_->query("DELETE FROM provider_credentials WHERE team_id = $1 AND provider = $2 RETURNING provider",
                      {teamId, provider})
              .empty();
}

}  // namespace convox::control_api
