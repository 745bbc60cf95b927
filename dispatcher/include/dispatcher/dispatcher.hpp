#pragma once

// The agent dispatcher: the worker pool, per-room dispatch records, and the
// job state machine (waiting -> offered -> running -> ended) with placement.
// Every method runs on one thread (the signalling io_context); nothing here
// blocks or sleeps. Time comes from the injected Clock, and deadlines are
// checked in onTick(), which production calls from a short periodic timer.
//
// Beyond LiveKit's OSS server (see PROTOCOL-agents.md §3): a worker that does
// not answer availability in time is skipped for the next one; a job with no
// matching worker waits (bounded) until one registers or frees up; a worker
// that drops mid-job has its jobs re-dispatched unless the agent participant
// is still in the room.

#include "common/jwt.hpp"
#include "dispatcher/clock.hpp"
#include "dispatcher/worker_connection.hpp"
#include "proto/livekit_agent.pb.h"
#include "proto/livekit_agent_dispatch.pb.h"

#include <prometheus/registry.h>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace convox::dispatcher {

struct DispatcherOptions {
  std::chrono::milliseconds availabilityTimeout{3000};  // per worker, then the next one is asked
  std::chrono::milliseconds queueTimeout{60000};        // how long a job waits for a matching worker
  // An agent whose connection dropped (no leave) while its worker is still
  // registered: how long to wait for the worker to drop too (a crash of the
  // whole worker; the job is dispatched again) or for the agent to join the
  // room again (the SDKs' full reconnect, which comes after the server's
  // resume window) before the job fails.
  std::chrono::milliseconds agentDropGrace{20000};
  std::optional<std::string> publicUrl;  // JobAssignment.url; unset = the worker's own URL
  std::string serverVersion;             // ServerInfo.version in the register response
  std::string nodeId;
};

// Who a worker authenticated as. A platform worker (a LiveKit token with the
// agent grant, signed by one of the server's keys) may serve every job; a team
// worker (a team's own API key) only jobs of that team, so one team's prompts
// and call parameters never reach another team's process.
struct WorkerCredential {
  std::string apiKey;  // one of the server's keys: signs the worker's job tokens
  std::string teamId;  // empty: a platform worker
};

// Why a worker's registration or message was refused; the caller closes the
// connection with this reason.
struct ProtocolError {
  std::string reason;
};

struct DispatchError {
  enum class Code { InvalidArgument, NotFound };
  Code code;
  std::string message;
};

enum class JobPhase { Waiting, Offered, Running, Ended };
std::string_view describe(JobPhase phase);

// One availability request and how it ended.
struct JobAttempt {
  std::string workerId;
  std::string outcome;  // pending, accepted, declined, timeout, worker closed, terminated, worker lost
  int64_t askedAtNanos = 0;
};

// A copy of a job's state, for the API and tests.
struct JobSnapshot {
  livekit::Job job;
  JobPhase phase = JobPhase::Waiting;
  std::vector<JobAttempt> attempts;
  std::string teamId;  // the team the job belongs to; empty: no team (LiveKit's own APIs)
};

// Creates a room that does not exist yet (CreateDispatch with auto-create);
// the room's onRoomStarted must have reached the dispatcher when it returns.
using RoomCreator = std::function<bool(const std::string& roomName)>;

// Disconnects a participant from a room (the agent of a job whose dispatch
// was deleted), as LiveKit does after terminating the job.
using ParticipantRemover = std::function<void(const std::string& roomName, const std::string& identity)>;

class WorkerPool;
class JobTable;
class RoomTable;
class DispatcherMetrics;
struct JobRecord;
struct Worker;
struct DispatchRecord;
struct RoomState;

class Dispatcher {
 public:
  // `uniform01` draws in [0, 1) for placement; a seeded generator if empty.
  Dispatcher(Clock& clock, common::SecretLookup secrets, DispatcherOptions options, prometheus::Registry& metrics,
             std::function<double()> uniform01 = {});
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void setRoomCreator(RoomCreator creator) { createRoom_ = std::move(creator); }
  void setParticipantRemover(ParticipantRemover remover) { removeParticipant_ = std::move(remover); }
  // Known only once the server listens (port 0 picks one).
  void setPublicUrl(std::optional<std::string> url) { options_.publicUrl = std::move(url); }

  // Workers. registerWorker sends the RegisterWorkerResponse (always the
  // first message) and returns the worker id; `credential` says which jobs
  // the worker may be offered and which key signs its job tokens.
  boost::system::result<std::string, ProtocolError> registerWorker(std::shared_ptr<WorkerConnection> connection,
                                                                   WorkerCredential credential,
                                                                   const livekit::RegisterWorkerRequest& request);
  // A message after registration; an error means: close this worker.
  std::optional<ProtocolError> onWorkerMessage(const std::string& workerId, const livekit::WorkerMessage& message);
  void onWorkerClosed(const std::string& workerId);
  // Server shutdown: asks every worker's connection to close.
  void closeAllWorkers(const std::string& reason);

  // Room events, adapted from the sfu by the server's main. `agents` are the
  // room's configured dispatches (CreateRoom or token roomConfig); none means
  // automatic dispatch to workers with an empty agent name.
  void onRoomStarted(const livekit::Room& room, const std::vector<livekit::RoomAgentDispatch>& agents);
  void onRoomFinished(const livekit::Room& room);
  void onParticipantJoined(const livekit::Room& room, const livekit::ParticipantInfo& participant);
  void onParticipantLeft(const livekit::Room& room, const livekit::ParticipantInfo& participant);
  // A participant published a track; only the first one launches publisher jobs.
  void onTrackPublished(const livekit::Room& room, const livekit::ParticipantInfo& participant);

  // AgentDispatchService. `teamId` (the control API's calls) limits the
  // dispatch's jobs to platform workers and that team's workers; without one
  // (LiveKit's Twirp API) only platform workers serve them.
  boost::system::result<livekit::AgentDispatch, DispatchError> createDispatch(
      const livekit::CreateAgentDispatchRequest& request, const std::string& teamId = {});
  boost::system::result<livekit::AgentDispatch, DispatchError> deleteDispatch(const std::string& room,
                                                                              const std::string& dispatchId);
  boost::system::result<std::vector<livekit::AgentDispatch>, DispatchError> listDispatches(
      const std::string& room, const std::string& dispatchId) const;

  // Expires availability requests and queued jobs whose deadline passed.
  void onTick();

  // Inspection, for tests and diagnostics.
  std::optional<JobSnapshot> findJob(const std::string& jobId) const;
  std::vector<JobSnapshot> jobsInRoom(const std::string& room) const;
  size_t workerCount() const;

 private:
  // Worker messages (dispatcher_workers.cpp).
  void onAvailability(Worker& worker, const livekit::AvailabilityResponse& response);
  void onUpdateWorker(Worker& worker, const livekit::UpdateWorkerStatus& update);
  void onUpdateJob(Worker& worker, const livekit::UpdateJobStatus& update);
  void onSimulateJob(Worker& worker, const livekit::SimulateJobRequest& request);

  // Dispatch records and triggers (dispatcher_rooms.cpp).
  DispatchRecord& addDispatch(RoomState& room, const livekit::RoomAgentDispatch& config,
                              const std::string& teamId = {});
  void launchJob(RoomState& room, DispatchRecord& record, livekit::JobType type,
                 const livekit::ParticipantInfo* participant);
  livekit::AgentDispatch withJobs(const DispatchRecord& record) const;

  // The job state machine (dispatcher_jobs.cpp).
  void place(JobRecord& job);
  void offer(JobRecord& job, Worker& worker);
  void accept(JobRecord& job, Worker& worker, const livekit::AvailabilityResponse& response);
  void refuse(JobRecord& job, Worker& worker, const std::string& reason);  // an acceptance we cannot honour
  void wait(JobRecord& job);
  void retryElsewhere(JobRecord& job, const std::string& outcome);
  void dispatchAgain(JobRecord& job);  // its worker and its agent are both gone
  void finish(JobRecord& job, livekit::JobStatus status, const std::string& error, bool terminateWorker);
  void cancel(const std::string& jobId, const std::string& why);
  void forget(const std::string& jobId);  // erases the job and its place in its dispatch record
  void placeWaitingJobs();
  void updateGauges();

  // Passed by argument.
  Clock& clock_;
  // Allocated by this.
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<JobTable> jobs_;
  std::unique_ptr<RoomTable> rooms_;
  std::unique_ptr<DispatcherMetrics> metrics_;
  // Others.
  common::SecretLookup secrets_;
  DispatcherOptions options_;
  std::function<double()> uniform01_;
  RoomCreator createRoom_;
  ParticipantRemover removeParticipant_;
  bool placing_ = false;
  bool placeAgain_ = false;
};

}  // namespace convox::dispatcher
