#include "common/config.hpp"

#include <gtest/gtest.h>

using namespace convox::common;

namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* kTestEncryptKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// The sources with an encryption key in the environment unless they name one:
// a server outside --dev needs one, and most tests here are about other settings.
ConfigSources withEncryptKey(ConfigSources s) {
  s.env = [inner = s.env](const std::string& name) -> std::optional<std::string> {
    if (auto v = inner ? inner(name) : std::nullopt) return v;
    if (name == "CONVOX_ENCRYPT_KEY") return std::string(kTestEncryptKey);
    return std::nullopt;
  };
  return s;
}

ServerConfig ok(const ConfigSources& s) {
  auto r = resolveConfig(withEncryptKey(s));
  if (auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<ServerConfig>(&r) ? std::get<ServerConfig>(r) : ServerConfig{};
}

std::string error(const ConfigSources& s) {
  auto r = resolveConfig(withEncryptKey(s));
  auto* e = std::get_if<ConfigError>(&r);
  return e ? e->message : "";
}

}  // namespace

TEST(Config, DevModeNeedsNothingElse) {
  ConfigSources s;
  s.flags.dev = true;
  const auto c = ok(s);
  EXPECT_EQ(c.bind, "127.0.0.1");
  EXPECT_EQ(c.port, 7880);
  EXPECT_EQ(c.keys.at("devkey"), "secret");
}

TEST(Config, WithoutDevKeysAreRequired) { EXPECT_NE(error({}).find("no API keys"), std::string::npos); }

TEST(Config, FlagsBeatEnvironmentWhichBeatsFile) {
  ConfigSources s;
  s.yamlText = "port: 1000\nbind: 10.0.0.1\nlog_level: warn\nkeys:\n  filekey: filesecret\n";
  s.env = env({{"CONVOX_PORT", "2000"}, {"CONVOX_BIND", "10.0.0.2"}});
  s.flags.port = 3000;
  const auto c = ok(s);
  EXPECT_EQ(c.port, 3000);        // flag
  EXPECT_EQ(c.bind, "10.0.0.2");  // env over file
  EXPECT_EQ(c.logLevel, "warn");  // file over default
  EXPECT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys.at("filekey"), "filesecret");
}

TEST(Config, FileOverridesDevDefaults) {
  ConfigSources s;
  s.flags.dev = true;
  s.yamlText = "bind: 0.0.0.0\n";
  EXPECT_EQ(ok(s).bind, "0.0.0.0");
}

TEST(Config, KeysFromEnvironmentAndFlags) {
  ConfigSources s;
  s.env = env({{"CONVOX_KEYS", "k1: s1, k2: s2"}});
  EXPECT_EQ(ok(s).keys.size(), 2u);
  s.flags.keys = "k3: s3";
  const auto c = ok(s);
  EXPECT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys.at("k3"), "s3");
}

TEST(Config, TheIceTcpPortIsLiveKitsDefaultAndZeroTurnsItOff) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).rtcTcpPort, 7881);
  s.yamlText = "rtc:\n  tcp_port: 0\n";
  EXPECT_EQ(ok(s).rtcTcpPort, 0);
  s.env = env({{"CONVOX_RTC_TCP_PORT", "8443"}});
  EXPECT_EQ(ok(s).rtcTcpPort, 8443);
  s.env = env({{"CONVOX_RTC_TCP_PORT", "70000"}});
  EXPECT_NE(error(s).find("CONVOX_RTC_TCP_PORT"), std::string::npos);
}

TEST(Config, NestedSectionsAreRead) {
  ConfigSources s;
  s.flags.dev = true;
  s.yamlText =
      "rtc:\n  port_range_start: 40000\n  port_range_end: 40100\n  media_threads: 3\n  tcp_port: 443\n"
      "room:\n  empty_timeout: 9\n  departure_timeout: 3\n  max_participants: 4\n"
      "webhook:\n  api_key: devkey\n  urls: [http://127.0.0.1:1/hook]\n";
  const auto c = ok(s);
  EXPECT_EQ(c.rtcPortRangeStart, 40000);
  EXPECT_EQ(c.rtcPortRangeEnd, 40100);
  EXPECT_EQ(c.rtcMediaThreads, 3u);
  EXPECT_EQ(c.rtcTcpPort, 443);
  EXPECT_EQ(c.room.emptyTimeoutSeconds, 9u);
  EXPECT_EQ(c.room.departureTimeoutSeconds, 3u);
  EXPECT_EQ(c.room.maxParticipants, 4u);
  EXPECT_EQ(c.webhook.urls.size(), 1u);
}

TEST(Config, TheMediaPathIsOursUnlessTheOldOneIsAsked) {
  ConfigSources d;
  d.flags.dev = true;
  EXPECT_EQ(ok(d).rtcSrtpImplementation, "openssl");
  EXPECT_EQ(ok(d).rtcIceTransport, "mux");
  ConfigSources y;
  y.flags.dev = true;
  y.yamlText = "rtc:\n  srtp_implementation: libsrtp\n";
  EXPECT_EQ(ok(y).rtcSrtpImplementation, "libsrtp");
  ConfigSources e;
  e.flags.dev = true;
  e.env = env({{"CONVOX_SRTP_IMPLEMENTATION", "nss"}});
  EXPECT_NE(error(e).find("srtp_implementation must be openssl or libsrtp, not 'nss'"), std::string::npos);
  ConfigSources i;
  i.flags.dev = true;
  i.yamlText = "rtc:\n  ice_transport: libnice\n";
  EXPECT_EQ(ok(i).rtcIceTransport, "libnice");
  i.yamlText = "rtc:\n  ice_transport: kernel\n";
  EXPECT_NE(error(i).find("rtc.ice_transport must be libnice or mux"), std::string::npos);
}

TEST(Config, ParticipantLimitsHaveLiveKitsNamesAndDefaults) {
  ConfigSources d;
  d.flags.dev = true;
  const auto defaults = ok(d);
  EXPECT_EQ(defaults.room.maxMetadataBytes, 64000u);
  EXPECT_EQ(defaults.room.maxAttributesBytes, 64000u);
  EXPECT_EQ(defaults.room.maxParticipantNameBytes, 256u);

  ConfigSources s;
  s.flags.dev = true;
  s.yamlText = "limit:\n  max_metadata_size: 100\n  max_attributes_size: 0\n  max_participant_name_length: 32\n";
  const auto c = ok(s);
  EXPECT_EQ(c.room.maxMetadataBytes, 100u);
  EXPECT_EQ(c.room.maxAttributesBytes, 0u);  // 0: no limit, as in LiveKit
  EXPECT_EQ(c.room.maxParticipantNameBytes, 32u);
}

TEST(Config, BadValuesNameTheirSource) {
  ConfigSources s;
  s.flags.dev = true;
  s.env = env({{"CONVOX_PORT", "seventy"}});
  EXPECT_NE(error(s).find("CONVOX_PORT"), std::string::npos);

  ConfigSources f;
  f.flags.dev = true;
  f.yamlText = "port: [1, 2]\n";
  EXPECT_NE(error(f).find("'port'"), std::string::npos);

  ConfigSources r;
  r.flags.dev = true;
  r.flags.rtcPortRange = "60000-50000";
  EXPECT_NE(error(r).find("port range"), std::string::npos);

  ConfigSources w;
  w.flags.dev = true;
  w.yamlText = "webhook:\n  urls: [http://x/]\n";
  EXPECT_NE(error(w).find("api_key"), std::string::npos);

  ConfigSources y;
  y.yamlText = "keys: [unclosed\n";
  EXPECT_NE(error(y).find("config file"), std::string::npos);
}

TEST(Config, StoreThreadsDefaultLayerAndRange) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).storeThreads, 4u);
  s.yamlText = "control_api:\n  store_threads: 6\n";
  EXPECT_EQ(ok(s).storeThreads, 6u);
  s.env = env({{"CONVOX_STORE_THREADS", "2"}});
  EXPECT_EQ(ok(s).storeThreads, 2u);
  s.env = env({{"CONVOX_STORE_THREADS", "0"}});
  EXPECT_NE(error(s).find("CONVOX_STORE_THREADS"), std::string::npos);
  ConfigSources y;
  y.flags.dev = true;
  y.yamlText = "control_api:\n  store_threads: 0\n";
  EXPECT_NE(error(y).find("store_threads"), std::string::npos);
}

TEST(Config, SqliteSynchronousDefaultsToFullAndLayers) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).sqliteSynchronous, "full");
  s.yamlText = "control_api:\n  sqlite_synchronous: normal\n";
  EXPECT_EQ(ok(s).sqliteSynchronous, "normal");
  s.env = env({{"CONVOX_SQLITE_SYNCHRONOUS", "full"}});
  EXPECT_EQ(ok(s).sqliteSynchronous, "full");
  s.env = env({{"CONVOX_SQLITE_SYNCHRONOUS", "off"}});
  EXPECT_NE(error(s).find("sqlite_synchronous"), std::string::npos) << error(s);
  ConfigSources y;
  y.flags.dev = true;
  y.yamlText = "control_api:\n  sqlite_synchronous: fast\n";
  EXPECT_NE(error(y).find("full or normal"), std::string::npos) << error(y);
}

TEST(Config, DevModeKeepsItsDataApart) {
  ConfigSources dev;
  dev.flags.dev = true;
  EXPECT_EQ(ok(dev).dataDir, "convox-dev-data");
  dev.flags.dataDir = "mine";
  EXPECT_EQ(ok(dev).dataDir, "mine");
  ConfigSources prod;
  prod.flags.keys = "k: s";
  EXPECT_EQ(ok(prod).dataDir, "convox-data");
}

TEST(Config, AgentTimeoutsDefaultAndLayer) {
  ConfigSources s;
  s.flags.dev = true;
  auto c = ok(s);
  EXPECT_EQ(c.agents.availabilityTimeoutMillis, 3000u);
  EXPECT_EQ(c.agents.queueTimeoutMillis, 60000u);

  s.yamlText = "agents:\n  availability_timeout_ms: 1500\n  queue_timeout_ms: 20000\n";
  c = ok(s);
  EXPECT_EQ(c.agents.availabilityTimeoutMillis, 1500u);
  EXPECT_EQ(c.agents.queueTimeoutMillis, 20000u);

  s.env = env({{"CONVOX_AGENT_AVAILABILITY_TIMEOUT_MS", "700"}, {"CONVOX_AGENT_QUEUE_TIMEOUT_MS", "9000"}});
  c = ok(s);
  EXPECT_EQ(c.agents.availabilityTimeoutMillis, 700u);
  EXPECT_EQ(c.agents.queueTimeoutMillis, 9000u);

  s.flags.agentAvailabilityTimeoutMillis = 250;
  s.flags.agentQueueTimeoutMillis = 5000;
  c = ok(s);
  EXPECT_EQ(c.agents.availabilityTimeoutMillis, 250u);
  EXPECT_EQ(c.agents.queueTimeoutMillis, 5000u);
}

TEST(Config, WorkerNameDefaultsToConvoxAndLayers) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).agents.workerName, "convox");
  s.yamlText = "agents:\n  worker_name: from-yaml\n";
  EXPECT_EQ(ok(s).agents.workerName, "from-yaml");
  s.env = env({{"CONVOX_AGENT_WORKER_NAME", "from-env"}});
  EXPECT_EQ(ok(s).agents.workerName, "from-env");
  s.env = env({{"CONVOX_AGENT_WORKER_NAME", "two words"}});
  EXPECT_NE(error(s).find("agents.worker_name"), std::string::npos);
  s.env = env({{"CONVOX_AGENT_WORKER_NAME", ""}});
  EXPECT_NE(error(s).find("agents.worker_name"), std::string::npos);
}

TEST(Config, BadAgentTimeoutsAreRefused) {
  ConfigSources e;
  e.flags.dev = true;
  e.env = env({{"CONVOX_AGENT_QUEUE_TIMEOUT_MS", "1m"}});
  EXPECT_NE(error(e).find("CONVOX_AGENT_QUEUE_TIMEOUT_MS"), std::string::npos);

  ConfigSources f;
  f.flags.dev = true;
  f.yamlText = "agents:\n  availability_timeout_ms: soon\n";
  EXPECT_NE(error(f).find("availability_timeout_ms"), std::string::npos);

  ConfigSources z;
  z.flags.dev = true;
  z.flags.agentAvailabilityTimeoutMillis = 0;
  EXPECT_NE(error(z).find("must be positive"), std::string::npos);
}

TEST(Config, DatabaseUrlFollowsThePrecedenceOrder) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).databaseUrl, "");  // default: the embedded SQLite store
  s.yamlText = "database_url: postgres://file/db\n";
  EXPECT_EQ(ok(s).databaseUrl, "postgres://file/db");
  s.env = env({{"CONVOX_DATABASE_URL", "postgresql://env/db"}});
  EXPECT_EQ(ok(s).databaseUrl, "postgresql://env/db");
  s.flags.databaseUrl = "postgres://flag/db";
  EXPECT_EQ(ok(s).databaseUrl, "postgres://flag/db");
}

TEST(Config, DatabaseUrlMustBePostgres) {
  ConfigSources s;
  s.flags.dev = true;
  s.env = env({{"CONVOX_DATABASE_URL", "mysql://x/y"}});
  EXPECT_NE(error(s).find("postgres://"), std::string::npos);
}

TEST(Config, AgentWebhooksReachPrivateNetworksOnlyInDevOrWhenAllowed) {
  ConfigSources production;
  production.flags.keys = std::string("k: s");
  EXPECT_FALSE(ok(production).agentWebhooks.allowPrivateNetworks);

  ConfigSources dev;
  dev.flags.dev = true;
  EXPECT_TRUE(ok(dev).agentWebhooks.allowPrivateNetworks);
  dev.env = env({{"CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "false"}});
  EXPECT_FALSE(ok(dev).agentWebhooks.allowPrivateNetworks);

  production.yamlText = "agent_webhooks:\n  allow_private_networks: true\n";
  EXPECT_TRUE(ok(production).agentWebhooks.allowPrivateNetworks);

  ConfigSources bad;
  bad.flags.dev = true;
  bad.env = env({{"CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "maybe"}});
  EXPECT_NE(error(bad).find("CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS"), std::string::npos);
}

TEST(Config, PlaygroundDirLayers) {
  ConfigSources s;
  s.flags.dev = true;
  EXPECT_EQ(ok(s).playgroundDir, "");  // found beside the binary or in the checkout
  s.yamlText = "playground_dir: /srv/file\n";
  EXPECT_EQ(ok(s).playgroundDir, "/srv/file");
  s.env = env({{"CONVOX_PLAYGROUND_DIR", "/srv/env"}});
  EXPECT_EQ(ok(s).playgroundDir, "/srv/env");
  s.flags.playgroundDir = "/srv/flag";
  EXPECT_EQ(ok(s).playgroundDir, "/srv/flag");
}

TEST(Config, WithoutDevAnEncryptionKeyIsRequired) {
  ConfigSources s;
  s.flags.keys = "k: s";
  const auto r = resolveConfig(s);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
  EXPECT_NE(std::get<ConfigError>(r).message.find("CONVOX_ENCRYPT_KEY"), std::string::npos);
  s.flags.dev = true;  // --dev keeps a generated key in its data dir instead
  s.flags.keys.reset();
  EXPECT_TRUE(std::holds_alternative<ServerConfig>(resolveConfig(s)));
}

TEST(Config, EncryptionKeyFromEnvironmentOrFileMustBe64HexDigits) {
  ConfigSources s;
  s.flags.keys = "k: s";
  s.yamlText = std::string("control_api:\n  encrypt_key: ") + kTestEncryptKey + "\n";
  EXPECT_EQ(std::get<ServerConfig>(resolveConfig(s)).encryptKey, kTestEncryptKey);
  for (const std::string& bad :
       {std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g", std::string("not-a-key")}) {
    s.yamlText.reset();
    s.env = env({{"CONVOX_ENCRYPT_KEY", bad}});
    const auto r = resolveConfig(s);
    ASSERT_TRUE(std::holds_alternative<ConfigError>(r)) << bad;
    const auto& message = std::get<ConfigError>(r).message;
    EXPECT_NE(message.find("64 hex digits"), std::string::npos) << message;
    EXPECT_EQ(message.find(bad), std::string::npos) << "the value must not be echoed: " << message;
  }
}
