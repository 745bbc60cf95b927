#pragma once

// convox-server configuration. Sources, lowest precedence first:
// built-in defaults < --dev defaults < YAML file < environment (CONVOX_*) < flags.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace convox::common {

struct RoomDefaults {
  uint32_t emptyTimeoutSeconds = 300;     // a room nobody joined closes after this
  uint32_t departureTimeoutSeconds = 20;  // a room closes this long after the last one left
  uint32_t maxParticipants = 0;           // 0 = unlimited
  bool autoCreate = true;
  // RoomService MutePublishedTrack may unmute (off: only mute, as in LiveKit).
  bool enableRemoteUnmute = false;
  // What a participant may carry (YAML `limit:`, LiveKit's names and
  // defaults; 0 = no limit). Larger updates are refused with a reason.
  uint32_t maxMetadataBytes = 64000;       // limit.max_metadata_size
  uint32_t maxAttributesBytes = 64000;     // limit.max_attributes_size: keys + values, all attributes
  uint32_t maxParticipantNameBytes = 256;  // limit.max_participant_name_length
};

struct SignalSettings {
  int32_t pingIntervalSeconds = 5;
  int32_t pingTimeoutSeconds = 15;
  uint32_t maxMessageBytes = 1 << 20;  // larger WebSocket messages close the connection
  // How long a participant whose signal socket dropped stays in its room,
  // transports and all, for the client to resume; 0 turns resuming off.
  uint32_t resumeWindowSeconds = 10;
};

struct WebhookSettings {
  std::string apiKey;  // signs the requests; must be one of `keys`
  std::vector<std::string> urls;
  uint32_t maxAttempts = 6;
  uint32_t firstRetryMillis = 500;  // doubles after each failure
  uint32_t requestTimeoutMillis = 5000;
};

// Agent dispatch: how long the dispatcher waits before giving up on a worker
// or on a job (see dispatcher/README.md).
struct AgentSettings {
  uint32_t availabilityTimeoutMillis = 3000;  // a worker's answer to a job offer; then the next worker
  uint32_t queueTimeoutMillis = 60000;        // a job with no matching worker waits this long for one
  // The agent name POST /v1/calls dispatches under: convox-worker registers
  // with it once and serves every agent (agents.worker_name).
  std::string workerName = "convox";
};

// Webhook targets API users put in agent configurations.
struct AgentWebhookSettings {
  // Off: deliveries to loopback, private, link-local and other non-public
  // addresses are refused. On by default only with --dev.
  bool allowPrivateNetworks = false;
};

struct ServerConfig {
  bool dev = false;
  std::string bind = "0.0.0.0";
  uint16_t port = 7880;
  std::map<std::string, std::string> keys;  // API key -> secret
  std::string logLevel = "info";
  std::string logFormat = "text";  // text | json
  uint16_t rtcPortRangeStart = 50000;
  uint16_t rtcPortRangeEnd = 60000;
  uint16_t rtcTcpPort = 7881;  // ICE-TCP passive (RFC 6544), LiveKit's rtc.tcp_port; 0 = off; with ice_transport: mux
  std::vector<std::string> rtcInterfaces;  // local addresses ICE may use; empty = all
  std::string rtcNodeIp;                   // announced in place of host candidates (1:1 NAT)
  unsigned rtcMediaThreads = 0;            // threads that own rooms and forward media; 0 = one per core
  std::string rtcSrtpImplementation = "openssl";
  std::string rtcIceTransport = "mux";  // mux (one UDP socket per media thread) | libnice (an agent per connection)  //
                                        // openssl | libsrtp (the old path, for comparison)
  std::string dataDir = "convox-data";
  // PostgreSQL connection URL for the control API's store; empty = SQLite in dataDir.
  std::string databaseUrl;
  // SQLite's PRAGMA synchronous for the store: "full" (every commit durable)
  // or "normal" (faster; a power loss can lose the last commits).
  std::string sqliteSynchronous = "full";
  unsigned storeThreads = 4;  // threads (and store connections) that serve /v1 requests
  // AES-256 key for secrets at rest (provider credentials), 64 hex digits
  // (CONVOX_ENCRYPT_KEY / control_api.encrypt_key). Required without --dev;
  // with --dev, empty means the key file kept in the data dir.
  std::string encryptKey;
  std::string publicUrl;  // ws(s):// URL clients and agents reach us at; derived if empty
  // The playground's static files (index.html, ... and node_modules/livekit-client);
  // empty = found beside the binary or in the source tree.
  std::string playgroundDir;
  RoomDefaults room;
  SignalSettings signal;
  WebhookSettings webhook;
  AgentSettings agents;
  AgentWebhookSettings agentWebhooks;
};

// Flag values; unset means "not given on the command line".
struct ConfigOverrides {
  std::optional<bool> dev;
  std::optional<std::string> configFile;
  std::optional<std::string> bind;
  std::optional<uint16_t> port;
  std::optional<std::string> keys;  // "key: secret" pairs, as in the YAML `keys` map
  std::optional<std::string> logLevel;
  std::optional<std::string> logFormat;
  std::optional<std::string> rtcPortRange;  // "50000-60000"
  std::optional<std::string> dataDir;
  std::optional<std::string> databaseUrl;
  std::optional<std::string> publicUrl;
  std::optional<std::string> playgroundDir;
  std::optional<uint32_t> agentAvailabilityTimeoutMillis;
  std::optional<uint32_t> agentQueueTimeoutMillis;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct ConfigSources {
  std::optional<std::string> yamlText;  // the file's content, if a file was named
  EnvLookup env;
  ConfigOverrides flags;
};

struct ConfigError {
  std::string message;
};

// Merges the sources in precedence order and validates the result.
// Returns the config, or the first error (naming the source and key).
std::variant<ServerConfig, ConfigError> resolveConfig(const ConfigSources& sources);

// The process environment, for production use.
EnvLookup processEnvironment();

// Parses "key: secret" pairs (YAML map syntax, also "k1: s1, k2: s2").
std::optional<std::map<std::string, std::string>> parseKeyPairs(const std::string& text);

}  // namespace convox::common
