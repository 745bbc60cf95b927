#include "common/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace convox::common {
namespace {

struct Fail {
  std::string message;
};

template <typename T>
void readScalar(const YAML::Node& node, const char* key, T& out, const std::string& where) {
  const auto value = node[key];
  if (!value) return;
  try {
    out = value.as<T>();
  } catch (const YAML::Exception&) {
    throw Fail{where + ": '" + key + "' has the wrong type"};
  }
}

std::optional<uint64_t> parseUnsigned(const std::string& s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

uint16_t parsePort(const std::string& s, const std::string& where) {
  auto v = parseUnsigned(s);
  if (!v || *v > 65535) throw Fail{where + ": '" + s + "' is not a port number"};
  return static_cast<uint16_t>(*v);
}

uint32_t parseMillis(const std::string& s, const std::string& where) {
  auto v = parseUnsigned(s);
  if (!v || *v > UINT32_MAX) throw Fail{where + ": '" + s + "' is not a number of milliseconds"};
  return static_cast<uint32_t>(*v);
}

bool parseBool(const std::string& s, const std::string& where) {
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  throw Fail{where + ": '" + s + "' is not true or false"};
}

void applyPortRange(ServerConfig& c, const std::string& s, const std::string& where) {
  const auto dash = s.find('-');
  if (dash == std::string::npos) throw Fail{where + ": port range must look like 50000-60000"};
  c.rtcPortRangeStart = parsePort(s.substr(0, dash), where);
  c.rtcPortRangeEnd = parsePort(s.substr(dash + 1), where);
}

void applyKeys(ServerConfig& c, const std::string& text, const std::string& where) {
  auto keys = parseKeyPairs(text);
  if (!keys) throw Fail{where + ": keys must be 'key: secret' pairs"};
  c.keys = std::move(*keys);
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    auto item = s.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

void applyYaml(ServerConfig& c, const std::string& text) {
  const std::string where = "config file";
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Fail{where + ": " + e.what()};
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw Fail{where + ": the top level must be a map"};
  readScalar(root, "bind", c.bind, where);
  readScalar(root, "port", c.port, where);
  readScalar(root, "log_level", c.logLevel, where);
  readScalar(root, "log_format", c.logFormat, where);
  readScalar(root, "data_dir", c.dataDir, where);
  readScalar(root, "database_url", c.databaseUrl, where);
  readScalar(root, "public_url", c.publicUrl, where);
  readScalar(root, "playground_dir", c.playgroundDir, where);
  if (const auto keys = root["keys"]) {
    if (!keys.IsMap()) throw Fail{where + ": 'keys' must be a map of key: secret"};
    c.keys.clear();
    for (const auto& kv : keys) c.keys[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (const auto api = root["control_api"]) {
    readScalar(api, "store_threads", c.storeThreads, where + " control_api");
    readScalar(api, "sqlite_synchronous", c.sqliteSynchronous, where + " control_api");
    readScalar(api, "encrypt_key", c.encryptKey, where + " control_api");
  }
  if (const auto rtc = root["rtc"]) {
    readScalar(rtc, "port_range_start", c.rtcPortRangeStart, where + " rtc");
    readScalar(rtc, "port_range_end", c.rtcPortRangeEnd, where + " rtc");
    readScalar(rtc, "tcp_port", c.rtcTcpPort, where + " rtc");
    readScalar(rtc, "node_ip", c.rtcNodeIp, where + " rtc");
    readScalar(rtc, "media_threads", c.rtcMediaThreads, where + " rtc");
    readScalar(rtc, "srtp_implementation", c.rtcSrtpImplementation, where + " rtc");
    readScalar(rtc, "ice_transport", c.rtcIceTransport, where + " rtc");
    if (const auto interfaces = rtc["interfaces"]) {
      if (!interfaces.IsSequence()) throw Fail{where + ": rtc.interfaces must be a list of addresses"};
      c.rtcInterfaces = interfaces.as<std::vector<std::string>>();
    }
  }
  if (const auto room = root["room"]) {
    readScalar(room, "empty_timeout", c.room.emptyTimeoutSeconds, where + " room");
    readScalar(room, "departure_timeout", c.room.departureTimeoutSeconds, where + " room");
    readScalar(room, "max_participants", c.room.maxParticipants, where + " room");
    readScalar(room, "auto_create", c.room.autoCreate, where + " room");
    readScalar(room, "enable_remote_unmute", c.room.enableRemoteUnmute, where + " room");
  }
  if (const auto limit = root["limit"]) {
    readScalar(limit, "max_metadata_size", c.room.maxMetadataBytes, where + " limit");
    readScalar(limit, "max_attributes_size", c.room.maxAttributesBytes, where + " limit");
    readScalar(limit, "max_participant_name_length", c.room.maxParticipantNameBytes, where + " limit");
  }
  if (const auto signal = root["signal"]) {
    readScalar(signal, "ping_interval", c.signal.pingIntervalSeconds, where + " signal");
    readScalar(signal, "ping_timeout", c.signal.pingTimeoutSeconds, where + " signal");
    readScalar(signal, "max_message_bytes", c.signal.maxMessageBytes, where + " signal");
    readScalar(signal, "resume_window", c.signal.resumeWindowSeconds, where + " signal");
  }
  if (const auto webhook = root["webhook"]) {
    readScalar(webhook, "api_key", c.webhook.apiKey, where + " webhook");
    readScalar(webhook, "max_attempts", c.webhook.maxAttempts, where + " webhook");
    readScalar(webhook, "first_retry_ms", c.webhook.firstRetryMillis, where + " webhook");
    readScalar(webhook, "request_timeout_ms", c.webhook.requestTimeoutMillis, where + " webhook");
    if (const auto urls = webhook["urls"]) {
      if (!urls.IsSequence()) throw Fail{where + ": webhook.urls must be a list"};
      c.webhook.urls = urls.as<std::vector<std::string>>();
    }
  }
  if (const auto agents = root["agents"]) {
    readScalar(agents, "availability_timeout_ms", c.agents.availabilityTimeoutMillis, where + " agents");
    readScalar(agents, "queue_timeout_ms", c.agents.queueTimeoutMillis, where + " agents");
    readScalar(agents, "worker_name", c.agents.workerName, where + " agents");
  }
  if (const auto hooks = root["agent_webhooks"]) {
    readScalar(hooks, "allow_private_networks", c.agentWebhooks.allowPrivateNetworks, where + " agent_webhooks");
  }
}

void applyEnvironment(ServerConfig& c, const EnvLookup& env) {
  if (!env) return;
  auto get = [&](const char* name) { return env(name); };
  if (auto v = get("CONVOX_BIND")) c.bind = *v;
  if (auto v = get("CONVOX_PORT")) c.port = parsePort(*v, "CONVOX_PORT");
  if (auto v = get("CONVOX_KEYS")) applyKeys(c, *v, "CONVOX_KEYS");
  if (auto v = get("CONVOX_LOG_LEVEL")) c.logLevel = *v;
  if (auto v = get("CONVOX_LOG_FORMAT")) c.logFormat = *v;
  if (auto v = get("CONVOX_RTC_PORT_RANGE")) applyPortRange(c, *v, "CONVOX_RTC_PORT_RANGE");
  if (auto v = get("CONVOX_DATA_DIR")) c.dataDir = *v;
  if (auto v = get("CONVOX_DATABASE_URL")) c.databaseUrl = *v;
  if (auto v = get("CONVOX_PLAYGROUND_DIR")) c.playgroundDir = *v;
  if (auto v = get("CONVOX_RTC_INTERFACES")) c.rtcInterfaces = splitList(*v);
  if (auto v = get("CONVOX_NODE_IP")) c.rtcNodeIp = *v;
  if (auto v = get("CONVOX_SRTP_IMPLEMENTATION")) c.rtcSrtpImplementation = *v;
  if (auto v = get("CONVOX_ICE_TRANSPORT")) c.rtcIceTransport = *v;
  if (auto v = get("CONVOX_RTC_TCP_PORT")) c.rtcTcpPort = parsePort(*v, "CONVOX_RTC_TCP_PORT");
  if (auto v = get("CONVOX_MEDIA_THREADS")) {
    auto n = parseUnsigned(*v);
    if (!n || *n > 256) throw Fail{"CONVOX_MEDIA_THREADS: '" + *v + "' is not a thread count (0-256)"};
    c.rtcMediaThreads = static_cast<unsigned>(*n);
  }
  if (auto v = get("CONVOX_STORE_THREADS")) {
    auto n = parseUnsigned(*v);
    if (!n || *n < 1 || *n > 256) throw Fail{"CONVOX_STORE_THREADS: '" + *v + "' is not a thread count (1-256)"};
    c.storeThreads = static_cast<unsigned>(*n);
  }
  if (auto v = get("CONVOX_SQLITE_SYNCHRONOUS")) {
    if (*v != "full" && *v != "normal") {
      throw Fail{"CONVOX_SQLITE_SYNCHRONOUS: '" + *v +
                 "' is not a control_api.sqlite_synchronous value (full or normal)"};
    }
    c.sqliteSynchronous = *v;
  }
  if (auto v = get("CONVOX_PUBLIC_URL")) c.publicUrl = *v;
  if (auto v = get("CONVOX_ENCRYPT_KEY")) c.encryptKey = *v;
  if (auto v = get("CONVOX_WEBHOOK_API_KEY")) c.webhook.apiKey = *v;
  if (auto v = get("CONVOX_WEBHOOK_URLS")) c.webhook.urls = splitList(*v);
  if (auto v = get("CONVOX_AGENT_AVAILABILITY_TIMEOUT_MS")) {
    c.agents.availabilityTimeoutMillis = parseMillis(*v, "CONVOX_AGENT_AVAILABILITY_TIMEOUT_MS");
  }
  if (auto v = get("CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS")) {
    c.agentWebhooks.allowPrivateNetworks = parseBool(*v, "CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS");
  }
  if (auto v = get("CONVOX_AGENT_WORKER_NAME")) c.agents.workerName = *v;
  if (auto v = get("CONVOX_AGENT_QUEUE_TIMEOUT_MS")) {
    c.agents.queueTimeoutMillis = parseMillis(*v, "CONVOX_AGENT_QUEUE_TIMEOUT_MS");
  }
}

void applyFlags(ServerConfig& c, const ConfigOverrides& f) {
  if (f.bind) c.bind = *f.bind;
  if (f.port) c.port = *f.port;
  if (f.keys) applyKeys(c, *f.keys, "--keys");
  if (f.logLevel) c.logLevel = *f.logLevel;
  if (f.logFormat) c.logFormat = *f.logFormat;
  if (f.rtcPortRange) applyPortRange(c, *f.rtcPortRange, "--rtc-port-range");
  if (f.dataDir) c.dataDir = *f.dataDir;
  if (f.databaseUrl) c.databaseUrl = *f.databaseUrl;
  if (f.publicUrl) c.publicUrl = *f.publicUrl;
  if (f.playgroundDir) c.playgroundDir = *f.playgroundDir;
  if (f.agentAvailabilityTimeoutMillis) c.agents.availabilityTimeoutMillis = *f.agentAvailabilityTimeoutMillis;
  if (f.agentQueueTimeoutMillis) c.agents.queueTimeoutMillis = *f.agentQueueTimeoutMillis;
}

void validate(const ServerConfig& c) {
  if (c.keys.empty()) {
    throw Fail{"no API keys configured: pass --dev, --keys 'key: secret', CONVOX_KEYS or a config file with keys"};
  }
  for (const auto& [key, secret] : c.keys) {
    if (key.empty() || secret.empty()) throw Fail{"API keys and secrets must not be empty"};
  }
  if (!c.databaseUrl.empty() && c.databaseUrl.rfind("postgres://", 0) != 0 &&
      c.databaseUrl.rfind("postgresql://", 0) != 0) {
    throw Fail{"database URL must start with postgres:// or postgresql://"};
  }
  if (c.storeThreads < 1 || c.storeThreads > 256) throw Fail{"control_api.store_threads must be 1-256"};
  if (c.sqliteSynchronous != "full" && c.sqliteSynchronous != "normal") {
    throw Fail{"control_api.sqlite_synchronous must be full or normal, not '" + c.sqliteSynchronous + "'"};
  }
  if (c.encryptKey.empty() && !c.dev) {
    throw Fail{
        "no encryption key configured: set CONVOX_ENCRYPT_KEY or control_api.encrypt_key to 64 hex digits "
        "(generate one with: openssl rand -hex 32); provider credentials are stored encrypted with it"};
  }
  // Its length and characters only: the value itself is never echoed.
  if (!c.encryptKey.empty() &&
      (c.encryptKey.size() != 64 || !std::all_of(c.encryptKey.begin(), c.encryptKey.end(), [](char ch) {
         return std::isxdigit(static_cast<unsigned char>(ch)) != 0;
       }))) {
    throw Fail{
        "the encryption key (CONVOX_ENCRYPT_KEY / control_api.encrypt_key) must be 64 hex digits (32 bytes); "
        "the one given has " +
        std::to_string(c.encryptKey.size()) + " characters" +
        (c.encryptKey.size() == 64 ? ", not all of them hex digits" : "")};
  }
  if (c.logFormat != "text" && c.logFormat != "json") throw Fail{"log format must be text or json"};
  if (c.rtcIceTransport != "libnice" && c.rtcIceTransport != "mux") {
    throw Fail{"rtc.ice_transport must be libnice or mux, not '" + c.rtcIceTransport + "'"};
  }
  if (c.rtcSrtpImplementation != "openssl" && c.rtcSrtpImplementation != "libsrtp") {
    throw Fail{"rtc.srtp_implementation must be openssl or libsrtp, not '" + c.rtcSrtpImplementation + "'"};
  }
  static const std::vector<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), c.logLevel) == kLevels.end()) {
    throw Fail{"log level must be one of trace, debug, info, warn, error, off"};
  }
  if (c.rtcPortRangeStart == 0 || c.rtcPortRangeEnd < c.rtcPortRangeStart) {
    throw Fail{"rtc port range must be non-empty and start above 0"};
  }
  if (c.signal.pingIntervalSeconds <= 0 || c.signal.pingTimeoutSeconds <= 0) {
    throw Fail{"signal ping interval and timeout must be positive"};
  }
  if (c.agents.availabilityTimeoutMillis == 0) throw Fail{"agents.availability_timeout_ms must be positive"};
  if (c.agents.queueTimeoutMillis == 0) throw Fail{"agents.queue_timeout_ms must be positive"};
  // An agent name workers put in their registration: printable, no spaces.
  const bool plainName = std::all_of(c.agents.workerName.begin(), c.agents.workerName.end(),
                                     [](char ch) { return ch > ' ' && ch < 0x7f; });
  if (c.agents.workerName.empty() || c.agents.workerName.size() > 128 || !plainName) {
    throw Fail{"agents.worker_name must be 1-128 printable characters without spaces, not '" + c.agents.workerName +
               "'"};
  }
  if (!c.webhook.urls.empty()) {
    if (c.webhook.apiKey.empty()) throw Fail{"webhook.urls needs webhook.api_key to sign requests"};
    if (!c.keys.contains(c.webhook.apiKey))
      throw Fail{"webhook.api_key '" + c.webhook.apiKey + "' is not one of the configured keys"};
  }
}

}  // namespace

std::optional<std::map<std::string, std::string>> parseKeyPairs(const std::string& text) {
  std::map<std::string, std::string> out;
  // Accept "k1: s1, k2: s2" on one line as well as YAML map lines.
  std::string normalised;
  for (const auto& item : splitList(text)) normalised += item + "\n";
  try {
    const auto node = YAML::Load(normalised);
    if (!node.IsMap()) return std::nullopt;
    for (const auto& kv : node) {
      if (!kv.second.IsScalar()) return std::nullopt;
      out[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::variant<ServerConfig, ConfigError> resolveConfig(const ConfigSources& sources) {
  ServerConfig c;
  try {
    const auto envDev = sources.env ? sources.env("CONVOX_DEV") : std::nullopt;
    c.dev = sources.flags.dev.value_or(envDev && (*envDev == "1" || *envDev == "true"));
    if (c.dev) {
      c.bind = "127.0.0.1";
      c.keys = {{"devkey", "secret"}};
      // Dev data (with its public dev key) stays out of a production store.
      c.dataDir = "convox-dev-data";
      c.logLevel = "debug";
      c.agentWebhooks.allowPrivateNetworks = true;  // a developer's receiver runs on localhost
    }
    if (sources.yamlText) applyYaml(c, *sources.yamlText);
    applyEnvironment(c, sources.env);
    applyFlags(c, sources.flags);
    validate(c);
  } catch (const Fail& f) {
    return ConfigError{f.message};
  }
  return c;
}

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace convox::common
