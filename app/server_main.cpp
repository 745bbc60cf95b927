// convox-server: signalling, rooms and the server APIs in one process.

#include "common/config.hpp"
#include "common/http_server.hpp"
#include "common/ids.hpp"
#include "common/io_runner.hpp"
#include "common/logging.hpp"
#include "common/metrics.hpp"
#include "common/twirp.hpp"
#include "control_api/control_api.hpp"
#include "dispatcher/agent_dispatch_service.hpp"
#include "dispatcher/agent_service.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher_room_events.hpp"
#include "playground_site.hpp"
#include "sfu/room_manager.hpp"
#include "sfu/room_service.hpp"
#include "sfu/signal_service.hpp"
#include "sfu/webhook_notifier.hpp"
#include "worker_supervisor.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

namespace {

using namespace convox;

// The LiveKit server version we report: SDKs gate features on it, and we
// implement the protocol of this release.
constexpr const char* kCompatibleLiveKitVersion = "1.9.0";

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

common::HttpRouter baseRoutes(common::Metrics& metrics) {
  common::HttpRouter router;
  router.exact("/healthz", common::getOnly([](const common::HttpRequest& req) {
                 return common::makeResponse(req, common::http::status::ok, "ok\n");
               }));
  router.exact("/metrics", common::getOnly([&metrics](const common::HttpRequest& req) {
                 return common::makeResponse(req, common::http::status::ok, metrics.render(),
                                             "text/plain; version=0.0.4");
               }));
  return router;
}

// CreateDispatch on a room that does not exist yet creates it, as LiveKit does.
dispatcher::RoomCreator roomCreator(sfu::RoomManager& rooms) {
  return [&rooms](const std::string& name) {
    livekit::CreateRoomRequest request;
    request.set_name(name);
    rooms.createRoom(request);
    return true;
  };
}

// The URL job processes dial (JobAssignment.url): --public-url, else our own
// address. A wildcard bind names no reachable host, so the URL is left out
// and workers use their own LIVEKIT_URL, as with LiveKit's server.
std::optional<std::string> agentJobUrl(const common::ServerConfig& config, uint16_t port) {
  if (!config.publicUrl.empty()) return config.publicUrl;
  if (config.bind == "0.0.0.0" || config.bind == "::" || config.bind.empty()) return std::nullopt;
  const bool ipv6 = config.bind.find(':') != std::string::npos;
  return "ws://" + (ipv6 ? "[" + config.bind + "]" : config.bind) + ":" + std::to_string(port);
}

// The control API's store: PostgreSQL when a database URL is configured,
// else SQLite in the data directory. One connection per store thread, and one
// for the webhook sender's thread.
std::unique_ptr<control_api::Repository> openStore(const common::ServerConfig& config) {
  const size_t connections = size_t{config.storeThreads} + 1;
  if (!config.databaseUrl.empty()) {
    return std::make_unique<control_api::Repository>(control_api::openPostgres(config.databaseUrl, connections));
  }
  std::filesystem::create_directories(config.dataDir);
  const auto synchronous = config.sqliteSynchronous == "normal" ? control_api::SqliteSynchronous::Normal
                                                                : control_api::SqliteSynchronous::Full;
  return std::make_unique<control_api::Repository>(control_api::openSqlite(
      (std::filesystem::path(config.dataDir) / "convox.db").string(), connections, synchronous));
}

// /v1/calls dispatches under the worker name (agents.worker_name; the job
// metadata names the agent), for the call's team only (platform workers and
// that team's workers).
// The control API calls from its store threads, and the dispatcher lives on the
// io_context thread: the dispatch runs there while the store thread waits.
control_api::CallSettings callSettings(const common::ServerConfig& config, const uint16_t& port,
                                       boost::asio::io_context& io, dispatcher::Dispatcher& agents) {
  control_api::CallSettings calls;
  calls.workerAgentName = config.agents.workerName;
  calls.apiKey = config.keys.begin()->first;
  calls.apiSecret = config.keys.begin()->second;
  // The dispatcher signs job tokens with these keys; the worker shows its job's on /v1.
  calls.jobTokenSecrets = [keys = config.keys](std::string_view key) -> std::optional<std::string> {
    const auto it = keys.find(std::string(key));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
  calls.publicUrl = [&config, &port] {
    return agentJobUrl(config, port).value_or("ws://localhost:" + std::to_string(port));
  };
  calls.dispatchAgent = [&io, &agents](const control_api::AgentDispatchRequest& call) -> std::optional<std::string> {
    auto answer = boost::asio::post(io, boost::asio::use_future([&agents, call]() -> std::optional<std::string> {
                                      livekit::CreateAgentDispatchRequest request;
                                      request.set_room(call.room);
                                      request.set_agent_name(call.agentName);
                                      request.set_metadata(call.metadataJson);
                                      auto result = agents.createDispatch(request, call.teamId);
                                      if (!result) return result.error().message;
                                      return std::nullopt;
                                    }));
    // Only a stopping server leaves the io_context without an answer.
    if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      return std::string("the agent dispatcher did not answer");
    }
    return answer.get();
  };
  return calls;
}

// The key that seals provider credentials: the configured one, or with
// --dev and none configured, the one kept in <data dir>/encrypt.key (made on
// the first start), so the dev store's secrets still open after a restart.
std::optional<control_api::SecretBox> encryptionKey(const common::ServerConfig& config, std::string& error) {
  if (!config.encryptKey.empty()) {
    auto box = control_api::SecretBox::fromHex(config.encryptKey);
    if (!box) error = box.error();
    return box ? std::optional(*box) : std::nullopt;
  }
  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  auto box = control_api::loadOrCreateKeyFile((std::filesystem::path(config.dataDir) / "encrypt.key").string());
  if (!box) error = box.error();
  return box ? std::optional(*box) : std::nullopt;
}

void printDevBanner(const common::ServerConfig& config, uint16_t port, const std::string& demoAgentId) {
  const auto& [key, secret] = *config.keys.begin();
  std::cout << "\nConvox is running in development mode.\n"
            << "  URL:        ws://" << config.bind << ":" << port << "\n"
            << "  API key:    " << key << "\n"
            << "  API secret: " << secret << "\n"
            << "  /v1 key:    " << control_api::kDevApiKey << "  (curl -H 'x-api-key: " << control_api::kDevApiKey
            << "' http://" << config.bind << ":" << port << "/v1/agents)\n"
            << "  Join token: convox token create --room my-room --identity alice\n"
            << "  Demo agent: " << demoAgentId << "  (a call: curl -X POST -H 'x-api-key: " << control_api::kDevApiKey
            << "' http://" << config.bind << ":" << port << "/v1/agents/" << demoAgentId << "/test)\n"
            << "\n  Open http://" << config.bind << ":" << port << "/ and press Talk to speak to the demo agent.\n\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convox-server: a LiveKit-compatible real-time voice-agent server"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // the last flag wins
  common::ConfigOverrides flags;
  bool dev = false;
  bool noWorker = false;
  app.add_flag("--dev", dev, "development mode: key devkey / secret secret, bind 127.0.0.1, no config file needed");
  app.add_flag("--no-worker", noWorker, "with --dev: do not start the built-in convox-worker");
  app.add_option("--config", flags.configFile, "YAML configuration file");
  app.add_option("--bind", flags.bind, "address to listen on (default 0.0.0.0; 127.0.0.1 with --dev)");
  app.add_option("--port", flags.port, "HTTP/WebSocket port (default 7880; 0 picks a free port)");
  app.add_option("--keys", flags.keys, "API keys as 'key: secret' pairs");
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn, error or off");
  app.add_option("--log-format", flags.logFormat, "text or json");
  app.add_option("--rtc-port-range", flags.rtcPortRange, "UDP port range for media, e.g. 50000-60000");
  app.add_option("--data-dir", flags.dataDir, "directory for the embedded database");
  app.add_option("--public-url", flags.publicUrl, "ws(s):// URL clients and agents reach this server at");
  app.add_option("--agent-availability-timeout-ms", flags.agentAvailabilityTimeoutMillis,
                 "how long an agent worker may take to answer a job offer before the next one is asked (default 3000)");
  app.add_option("--agent-queue-timeout-ms", flags.agentQueueTimeoutMillis,
                 "how long a job waits for a matching agent worker to register or free up (default 60000)");
  app.add_option("--playground-dir", flags.playgroundDir,
                 "folder of the playground page served at / (default: beside the binary, else the source tree)");
  app.add_option("--database-url", flags.databaseUrl,
                 "postgres:// URL of the control API store (default: SQLite in --data-dir)");
  std::optional<std::string> createTeam;
  app.add_option("--create-team", createTeam,
                 "create a team with this name in the store, print its first API key, and exit");
  app.set_version_flag("--version", std::string("convox-server ") + CONVOX_VERSION);
  CLI11_PARSE(app, argc, argv);
  if (dev) flags.dev = true;

  common::ConfigSources sources{std::nullopt, common::processEnvironment(), flags};
  if (flags.configFile) {
    sources.yamlText = readFile(*flags.configFile);
    if (!sources.yamlText) {
      std::cerr << "convox-server: cannot read config file " << *flags.configFile << "\n";
      return 2;
    }
  }
  auto resolved = common::resolveConfig(sources);
  if (auto* error = std::get_if<common::ConfigError>(&resolved)) {
    std::cerr << "convox-server: " << error->message << "\n";
    return 2;
  }
  const auto config = std::get<common::ServerConfig>(resolved);
  common::initLogging(config.logLevel, config.logFormat == "json" ? common::LogFormat::Json : common::LogFormat::Text);
  auto log = common::logger("server");

  std::string keyError;
  auto secretBox = encryptionKey(config, keyError);
  if (!secretBox) {
    std::cerr << "convox-server: " << keyError << "\n";
    return 2;
  }

  std::unique_ptr<control_api::Repository> store;
  std::string demoAgentId;
  try {
    store = openStore(config);
    if (createTeam) {
      const auto teamId = store->createTeam(*createTeam);
      const auto key = store->createApiKey(teamId, "created with --create-team");
      std::cout << "team: " << teamId << "\napi key: " << key.secret << "\n";
      return 0;
    }
    if (config.dev) {
      control_api::ensureDevTeam(*store);
      demoAgentId = control_api::ensureDemoAgent(*store);
    } else if (control_api::devKeyStored(*store)) {
      log->warn("this store holds data written with --dev; its key {} is refused without --dev",
                control_api::kDevApiKey);
    }
  } catch (const std::exception& e) {
    std::cerr << "convox-server: cannot open the store: " << e.what() << "\n";
    return 1;
  }

  boost::asio::io_context io;
  common::Metrics metrics;
  const auto keys = config.keys;
  common::SecretLookup secrets = [keys](std::string_view key) -> std::optional<std::string> {
    auto it = keys.find(std::string(key));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };

  sfu::RoomManager rooms(io, config.room, metrics.registry());
  std::unique_ptr<sfu::WebhookNotifier> webhooks;
  if (!config.webhook.urls.empty()) {
    webhooks =
        std::make_unique<sfu::WebhookNotifier>(config.webhook, keys.at(config.webhook.apiKey), metrics.registry());
    rooms.addListener(webhooks.get());
  }
  sfu::MediaSettings media;
  media.interfaces = config.rtcInterfaces;
  if (!config.rtcNodeIp.empty()) media.announcedIp = config.rtcNodeIp;
  media.portMin = config.rtcPortRangeStart;
  media.portMax = config.rtcPortRangeEnd;
  media.threads = config.rtcMediaThreads;
  media.sharedUdpSocket = config.rtcIceTransport == "mux";
  media.tcpPort = config.rtcTcpPort;
  media.srtp = rtc::parseSrtpImplementation(config.rtcSrtpImplementation).value_or(rtc::SrtpImplementation::OpenSsl);
  const auto nodeId = common::newId("ND_");
  sfu::SignalService signal(io, rooms, secrets, {config.signal, media, kCompatibleLiveKitVersion, nodeId},
                            metrics.registry());
  sfu::RoomService roomService(rooms, common::tokenAuthenticator(secrets, [] { return common::unixSeconds(); }));

  dispatcher::SystemClock dispatchClock;
  dispatcher::DispatcherOptions dispatchOptions;
  dispatchOptions.serverVersion = kCompatibleLiveKitVersion;
  dispatchOptions.nodeId = nodeId;
  dispatchOptions.availabilityTimeout = std::chrono::milliseconds(config.agents.availabilityTimeoutMillis);
  dispatchOptions.queueTimeout = std::chrono::milliseconds(config.agents.queueTimeoutMillis);
  dispatcher::Dispatcher agents(dispatchClock, secrets, dispatchOptions, metrics.registry());
  if (config.room.autoCreate) agents.setRoomCreator(roomCreator(rooms));
  agents.setParticipantRemover(app::participantRemover(rooms));
  app::DispatcherRoomEvents agentRoomEvents(agents);
  rooms.addListener(&agentRoomEvents);
  dispatcher::AgentService agentService(io, agents, secrets);
  // A team's /v1 API key registers a worker that is offered that team's jobs only.
  agentService.setTeamKeys(
      [&store, devKey = config.dev ? control_api::DevKey::Accepted : control_api::DevKey::Refused](
          std::string_view apiKey) -> std::optional<std::string> {
        auto key = control_api::authenticateTeamKey(*store, std::string(apiKey), devKey);
        if (!key) return std::nullopt;
        return key->teamId;
      },
      config.keys.begin()->first);
  dispatcher::AgentDispatchService agentDispatchService(
      agents, common::tokenAuthenticator(secrets, [] { return common::unixSeconds(); }));

  uint16_t listenPort = config.port;
  control_api::ApiLimits apiLimits;
  apiLimits.storeThreads = config.storeThreads;
  control_api::WebhookDeliverySettings agentWebhooks;
  agentWebhooks.allowPrivateNetworks = config.agentWebhooks.allowPrivateNetworks;
  control_api::ControlApi controlApi(*store, callSettings(config, listenPort, io, agents), apiLimits, agentWebhooks,
                                     config.dev ? control_api::DevKey::Accepted : control_api::DevKey::Refused,
                                     secretBox);

  auto router = baseRoutes(metrics);
  app::mountPlayground(router,
                       {config.playgroundDir, config.dev, control_api::kDevApiKey, CONVOX_VERSION, config.publicUrl});
  controlApi.mount(router);
  signal.mount(router);
  roomService.mount(router);
  agentService.mount(router);
  agentDispatchService.mount(router);

  common::HttpServerLimits limits;
  limits.maxWebSocketMessageBytes = config.signal.maxMessageBytes;
  common::HttpServer server(io, std::move(router), limits, [&metrics](const std::string& route, unsigned status) {
    metrics.countHttpRequest(route, status);
  });
  std::optional<app::WorkerSupervisor> builtinWorker;  // --dev: the supervised convox-worker
  boost::asio::signal_set stopSignals(io, SIGINT, SIGTERM);
  stopSignals.async_wait([&](const boost::system::error_code&, int sig) {
    log->info("signal {}: shutting down", sig);
    if (builtinWorker) builtinWorker->stop();
    server.stop();
    agentService.stop();
    agents.closeAllWorkers("server shutting down");
    for (const auto& room : rooms.listRooms({})) rooms.deleteRoom(room.name());
    // Let queued leave messages go out before the loop ends.
    auto timer = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(200));
    timer->async_wait([&io, timer](const boost::system::error_code&) { io.stop(); });
  });
  try {
    server.listen(config.bind, config.port);
  } catch (const std::exception& e) {
    std::cerr << "convox-server: cannot listen on " << config.bind << ":" << config.port << ": " << e.what() << "\n";
    return 1;
  }
  listenPort = server.port();
  agents.setPublicUrl(agentJobUrl(config, server.port()));
  log->info("convox-server {} listening on {}:{}", CONVOX_VERSION, config.bind, server.port());
  std::cout << "convox-server listening on " << config.bind << ":" << server.port() << std::endl;
  if (config.dev) printDevBanner(config, server.port(), demoAgentId);
  // --dev gives a newcomer a talking agent: the built-in worker, supervised.
  if (config.dev && !noWorker) {
    if (const auto binary = app::builtinWorkerPath(); binary.empty()) {
      log->warn("no convox-worker beside convox-server: agents will not answer (build it, or pass --no-worker)");
    } else {
      const auto& [key, secret] = *config.keys.begin();
      const std::string host = config.bind == "0.0.0.0" ? "127.0.0.1" : config.bind;
      builtinWorker.emplace(io, binary, std::vector<std::string>{"--log-level", config.logLevel},
                            std::vector<std::pair<std::string, std::string>>{
                                {"LIVEKIT_URL", "ws://" + host + ":" + std::to_string(server.port())},
                                {"LIVEKIT_API_KEY", key},
                                {"LIVEKIT_API_SECRET", secret},
                                {"CONVOX_AGENT_WORKER_NAME", config.agents.workerName}});
      builtinWorker->start();
    }
  }

  common::runCatchingExceptions(io, "signal");
  if (builtinWorker) builtinWorker->waitForExit(std::chrono::seconds(3));
  // Requests still on the store threads use the server's routes: finish them
  // before the server goes.
  controlApi.stop();
  return 0;
}
