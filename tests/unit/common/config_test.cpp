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

ServerConfig ok(const ConfigSources& s) {
  auto r = resolveConfig(s);
  if (auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<ServerConfig>(&r) ? std::get<ServerConfig>(r) : ServerConfig{};
}

std::string error(const ConfigSources& s) {
  auto r = resolveConfig(s);
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

TEST(Config, NestedSectionsAreRead) {
  ConfigSources s;
  s.flags.dev = true;
  s.yamlText =
      "rtc:\n  port_range_start: 40000\n  port_range_end: 40100\n"
      "room:\n  empty_timeout: 9\n  departure_timeout: 3\n  max_participants: 4\n"
      "webhook:\n  api_key: devkey\n  urls: [http://127.0.0.1:1/hook]\n";
  const auto c = ok(s);
  EXPECT_EQ(c.rtcPortRangeStart, 40000);
  EXPECT_EQ(c.rtcPortRangeEnd, 40100);
  EXPECT_EQ(c.room.emptyTimeoutSeconds, 9u);
  EXPECT_EQ(c.room.departureTimeoutSeconds, 3u);
  EXPECT_EQ(c.room.maxParticipants, 4u);
  EXPECT_EQ(c.webhook.urls.size(), 1u);
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
