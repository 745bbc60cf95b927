#pragma once

// Jobs by id, with what the state machine needs beyond the wire-level Job.

#include "dispatcher/clock.hpp"
#include "dispatcher/dispatcher.hpp"
#include "worker_pool.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace convox::dispatcher {

struct JobRecord {
  livekit::Job job;  // what workers see; job.state is kept current
  JobPhase phase = JobPhase::Waiting;
  WorkerKey key;
  std::string teamId;           // only platform workers and this team's serve it
  std::string workerId;         // asked (Offered) or running on (Running)
  Clock::TimePoint deadline{};  // of the offer (Offered) or of the wait (Waiting)
  Clock::TimePoint queuedAt{};  // when placement started, for the latency histogram
  std::set<std::string> tried;  // workers that declined, timed out or dropped
  std::vector<JobAttempt> attempts;
  std::string pinnedWorkerId;  // simulate_job: this worker only, no waiting
  // Running, the agent's connection dropped and its worker is still here:
  // the worker dropping before this means a re-dispatch; after it, failure.
  std::optional<Clock::TimePoint> agentDroppedUntil;
  uint64_t sequence = 0;  // creation order: waiting jobs are served first-come

  const std::string& id() const { return job.id(); }
  const std::string& roomName() const { return job.room().name(); }
  JobSnapshot snapshot() const { return {job, phase, attempts, teamId}; }
};

class JobTable {
 public:
  JobRecord& insert(JobRecord record);
  void erase(const std::string& id) { jobs_.erase(id); }
  JobRecord* find(const std::string& id);
  const JobRecord* find(const std::string& id) const;

  // Ids of the jobs in `phase`, oldest first. Ids, not pointers: handling one
  // job may erase others.
  std::vector<std::string> idsIn(JobPhase phase) const;
  size_t countIn(JobPhase phase) const;
  // Ids of every job in `room`, oldest first.
  std::vector<std::string> idsInRoom(const std::string& room) const;

 private:
  static std::vector<std::string> sortedIds(std::vector<const JobRecord*> jobs);

  std::map<std::string, JobRecord, std::less<>> jobs_;
  uint64_t nextSequence_ = 0;
};

}  // namespace convox::dispatcher
