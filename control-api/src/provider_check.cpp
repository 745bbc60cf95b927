#include "provider_check.hpp"

#include "common/address_policy.hpp"
#include "common/http_client.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>

namespace convox::control_api {
namespace {

common::HttpHeaders authHeaders(KeyHeader how, const std::string& key) {
  switch (how) {
    case KeyHeader::Bearer:
      return {{"Authorization", "Bearer " + key}};
    case KeyHeader::Token:
      return {{"Authorization", "Token " + key}};
    case KeyHeader::XiApiKey:
      return {{"xi-api-key", key}};
    case KeyHeader::XApiKey:
      // The version Anthropic's API requires on every request.
      return {{"x-api-key", key}, {"anthropic-version", "2023-06-01"}};
    case KeyHeader::XGoogApiKey:
      return {{"x-goog-api-key", key}};
    case KeyHeader::SubscriptionKey:
      return {{"api-subscription-key", key}};
    case KeyHeader::None:
      break;
  }
  return {};
}

// Belt and braces: no text we return may carry the key, whatever a server
// or a library put into it.
std::string withoutKey(std::string text, const std::optional<std::string>& key) {
  if (!key || key->empty()) return text;
  for (auto at = text.find(*key); at != std::string::npos; at = text.find(*key, at)) text.replace(at, key->size(), "…");
  return text;
}

std::string statusProblem(const ProviderInfo& p, unsigned status) {
  std::string out = std::string(p.id) + " answered HTTP " + std::to_string(status) + " to " +
                    std::string(p.check.method) + " " + std::string(p.check.path);
  if (status == 401 || status == 403) return out + ": the credential was refused";
  if (status == 429) return out + ": rate limited (the key may be valid; try again later)";
  if (status == 404) return out + ": not found (is the base URL right?)";
  if (status >= 500) return out + ": the provider failed";
  return out;
}

}  // namespace

ProviderCheckResult checkProvider(const ProviderInfo& provider, const ProviderCheckTarget& target) {
  ProviderCheckResult out;
  common::HttpHeaders headers;
  if (target.key) headers = authHeaders(provider.keyHeader, *target.key);
  std::string body(provider.check.body);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  common::AddressFilter refuse;
  if (!target.allowPrivateNetworks) {
    refuse = [](const boost::asio::ip::address& a) -> std::optional<std::string> {
      const auto kind = common::nonPublicAddressKind(a);
      if (!kind) return std::nullopt;
      return "a " + std::string(*kind) +
             " address (provider checks follow the webhooks' policy: agent_webhooks.allow_private_networks is off)";
    };
  }
  const auto url = target.baseUrl + std::string(provider.check.path);
  common::HttpClientResult answer;
  boost::asio::io_context io;
  const auto started = std::chrono::steady_clock::now();
  common::httpRequest(
      io, provider.check.method, url, std::move(headers), std::move(body), target.timeout,
      [&answer](common::HttpClientResult r) { answer = std::move(r); }, std::move(refuse));
  io.run();
  out.latencyMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (answer.status == 0) {
    out.error = withoutKey(std::string(provider.id) + " could not be reached: " + answer.error, target.key);
    return out;
  }
  out.status = answer.status;
  const auto& also = provider.check.alsoOk;
  out.ok = (answer.status >= 200 && answer.status < 300) ||
           std::find(also.begin(), also.end(), answer.status) != also.end() ||
           (provider.check.anyAnswer && answer.status < 500 && answer.status != 401 && answer.status != 403);
  if (!out.ok) out.error = withoutKey(statusProblem(provider, answer.status), target.key);
  return out;
}

}  // namespace convox::control_api
