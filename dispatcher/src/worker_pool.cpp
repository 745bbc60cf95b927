#include "worker_pool.hpp"

#include <algorithm>

namespace convox::dispatcher {

std::string describe(const WorkerKey& key) {
  std::string out = "agent '" + key.agentName + "', " + livekit::JobType_Name(key.type);
  if (!key.ns.empty()) out += ", namespace '" + key.ns + "'";
  if (!key.deployment.empty()) out += ", deployment '" + key.deployment + "'";
  return out;
}

Worker& WorkerPool::add(Worker worker) {
  workers_.push_back(std::make_unique<Worker>(std::move(worker)));
  return *workers_.back();
}

void WorkerPool::remove(const std::string& id) {
  std::erase_if(workers_, [&](const auto& w) { return w->id == id; });
}

Worker* WorkerPool::find(const std::string& id) {
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) { return w->id == id; });
  return it == workers_.end() ? nullptr : it->get();
}

const Worker* WorkerPool::find(const std::string& id) const {
  auto it = std::find_if(workers_.begin(), workers_.end(), [&](const auto& w) { return w->id == id; });
  return it == workers_.end() ? nullptr : it->get();
}

std::vector<Worker*> WorkerPool::candidates(const WorkerKey& key, const std::string& teamId,
                                            const std::set<std::string>& tried) {
  std::vector<Worker*> out;
  for (const auto& w : workers_) {
    if (w->key == key && w->serves(teamId) && w->available() && !tried.contains(w->id)) out.push_back(w.get());
  }
  return out;
}

std::vector<std::string> WorkerPool::ids() const {
  std::vector<std::string> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->id);
  return out;
}

size_t WorkerPool::availableCount() const {
  return static_cast<size_t>(
      std::count_if(workers_.begin(), workers_.end(), [](const auto& w) { return w->available(); }));
}

}  // namespace convox::dispatcher
