#pragma once

// The registered workers, in registration order. Workers are few (tens), so
// a vector scanned linearly beats a map here and keeps candidate order stable.

#include "dispatcher/worker_connection.hpp"
#include "proto/livekit_agent.pb.h"

#include <compare>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace convox::dispatcher {

// Which jobs a worker can take: LiveKit's pool key.
struct WorkerKey {
  std::string agentName;
  std::string ns;  // deprecated namespace, still part of the key
  livekit::JobType type = livekit::JT_ROOM;
  std::string deployment;

  auto operator<=>(const WorkerKey&) const = default;
};

std::string describe(const WorkerKey& key);

// Why `deployment` is not a valid deployment name (at most 64 bytes, no '_',
// whitespace or control characters), or empty if it is.
std::string validateDeployment(const std::string& deployment);

struct Worker {
  std::string id;
  WorkerKey key;
  std::string apiKey;  // the server key that signs its job tokens
  std::string teamId;  // empty: a platform worker, which serves every team
  std::string version;
  livekit::ParticipantPermission permissions;
  livekit::WorkerStatus status = livekit::WS_AVAILABLE;
  float load = 0;
  std::shared_ptr<WorkerConnection> connection;
  std::set<std::string> runningJobs;

  bool available() const { return status == livekit::WS_AVAILABLE; }
  bool serves(const std::string& jobTeamId) const { return teamId.empty() || teamId == jobTeamId; }
};

class WorkerPool {
 public:
  Worker& add(Worker worker);
  void remove(const std::string& id);
  Worker* find(const std::string& id);
  const Worker* find(const std::string& id) const;

  // Available workers under `key` allowed to serve a job of `teamId` and not
  // in `tried`, in registration order.
  std::vector<Worker*> candidates(const WorkerKey& key, const std::string& teamId, const std::set<std::string>& tried);

  // Ids in registration order.
  std::vector<std::string> ids() const;
  size_t size() const { return workers_.size(); }
  size_t availableCount() const;

 private:
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace convox::dispatcher
