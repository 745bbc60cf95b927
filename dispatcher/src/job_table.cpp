#include "job_table.hpp"

#include <algorithm>

namespace convox::dispatcher {

JobRecord& JobTable::insert(JobRecord record) {
  record.sequence = nextSequence_++;
  auto id = record.id();
  return jobs_.insert_or_assign(std::move(id), std::move(record)).first->second;
}

JobRecord* JobTable::find(const std::string& id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const JobRecord* JobTable::find(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<std::string> JobTable::idsIn(JobPhase phase) const {
  std::vector<const JobRecord*> matching;
  for (const auto& [id, job] : jobs_) {
    if (job.phase == phase) matching.push_back(&job);
  }
  return sortedIds(std::move(matching));
}

std::vector<std::string> JobTable::idsInRoom(const std::string& room) const {
  std::vector<const JobRecord*> matching;
  for (const auto& [id, job] : jobs_) {
    if (job.roomName() == room) matching.push_back(&job);
  }
  return sortedIds(std::move(matching));
}

std::vector<std::string> JobTable::sortedIds(std::vector<const JobRecord*> matching) {
  std::sort(matching.begin(), matching.end(), [](auto* a, auto* b) { return a->sequence < b->sequence; });
  std::vector<std::string> ids;
  ids.reserve(matching.size());
  for (const auto* job : matching) ids.push_back(job->id());
  return ids;
}

size_t JobTable::countIn(JobPhase phase) const {
  return static_cast<size_t>(
      std::count_if(jobs_.begin(), jobs_.end(), [phase](const auto& entry) { return entry.second.phase == phase; }));
}

}  // namespace convox::dispatcher
