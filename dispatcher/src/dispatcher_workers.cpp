// Dispatcher: worker registration and the messages workers send.

#include "common/http_server.hpp"
#include "common/ids.hpp"
#include "common/logging.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher_metrics.hpp"
#include "field_limits.hpp"
#include "job_table.hpp"
#include "room_table.hpp"
#include "worker_pool.hpp"

#include <cmath>
#include <random>

namespace convox::dispatcher {

namespace {

constexpr int32_t kSignalProtocolVersion = 17;
constexpr int32_t kAgentProtocolVersion = 1;
constexpr size_t kMaxDeploymentBytes = 64;

auto log() { return common::logger("dispatch"); }

// Workers that send no allowed_permissions get LiveKit's default.
livekit::ParticipantPermission defaultAgentPermissions() {
  livekit::ParticipantPermission p;
  p.set_can_subscribe(true);
  p.set_can_publish(true);
  p.set_can_publish_data(true);
  p.set_can_update_metadata(true);
  return p;
}

std::function<double()> seededUniform01() {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
}

}  // namespace

std::string_view describe(JobPhase phase) {
  switch (phase) {
    case JobPhase::Waiting:
      return "waiting";
    case JobPhase::Offered:
      return "offered";
    case JobPhase::Running:
      return "running";
    case JobPhase::Ended:
      return "ended";
  }
  return "unknown";
}

std::string validateDeployment(const std::string& deployment) {
  if (deployment.size() > kMaxDeploymentBytes) return "deployment is longer than 64 bytes";
  for (unsigned char c : deployment) {
    if (c == '_' || std::isspace(c) || std::iscntrl(c)) {
      return "deployment may not contain '_', whitespace or control characters";
    }
  }
  return {};
}

Dispatcher::Dispatcher(Clock& clock, common::SecretLookup secrets, DispatcherOptions options,
                       prometheus::Registry& metrics, std::function<double()> uniform01)
    : clock_(clock),
      workers_(std::make_unique<WorkerPool>()),
      jobs_(std::make_unique<JobTable>()),
      rooms_(std::make_unique<RoomTable>()),
      metrics_(std::make_unique<DispatcherMetrics>(metrics)),
      secrets_(std::move(secrets)),
      options_(std::move(options)),
      uniform01_(uniform01 ? std::move(uniform01) : seededUniform01()) {}

Dispatcher::~Dispatcher() = default;

size_t Dispatcher::workerCount() const { return workers_->size(); }

boost::system::result<std::string, ProtocolError> Dispatcher::registerWorker(
    std::shared_ptr<WorkerConnection> connection, WorkerCredential credential,
    const livekit::RegisterWorkerRequest& request) {
  if (!livekit::JobType_IsValid(request.type())) {
    return ProtocolError{"register: unknown job type " + std::to_string(request.type())};
  }
  if (auto bad = validateDeployment(request.deployment()); !bad.empty()) return ProtocolError{"register: " + bad};
  if (auto bad = checkRegistration(request); !bad.empty()) return ProtocolError{"register: " + bad};
  Worker w;
  w.id = common::newId("AW_");
  w.key = {request.agent_name(), request.namespace_(), request.type(), request.deployment()};
  w.apiKey = std::move(credential.apiKey);
  w.teamId = std::move(credential.teamId);
  w.version = request.version();
  w.permissions = request.has_allowed_permissions() ? request.allowed_permissions() : defaultAgentPermissions();
  w.connection = std::move(connection);
  auto& worker = workers_->add(std::move(w));

  livekit::ServerMessage msg;
  auto& response = *msg.mutable_register_();
  response.set_worker_id(worker.id);
  auto& info = *response.mutable_server_info();
  info.set_edition(livekit::ServerInfo::Standard);
  info.set_version(options_.serverVersion);
  info.set_protocol(kSignalProtocolVersion);
  info.set_node_id(options_.nodeId);
  info.set_debug_info("convox");
  info.set_agent_protocol(kAgentProtocolVersion);
  worker.connection->send(msg);
  log()->info("worker {} registered: {}, version '{}', {}", worker.id, describe(worker.key), worker.version,
              worker.teamId.empty() ? std::string("platform worker") : "team " + worker.teamId);
  std::string id = worker.id;
  updateGauges();
  placeWaitingJobs();
  return {boost::system::in_place_value, std::move(id)};
}

std::optional<ProtocolError> Dispatcher::onWorkerMessage(const std::string& workerId,
                                                         const livekit::WorkerMessage& message) {
  Worker* worker = workers_->find(workerId);
  if (!worker) return std::nullopt;  // closed while the message was on its way
  using M = livekit::WorkerMessage;
  switch (message.message_case()) {
    case M::kRegister:
      return ProtocolError{"register sent twice on one connection"};
    case M::kAvailability:
      onAvailability(*worker, message.availability());
      break;
    case M::kUpdateWorker:
      onUpdateWorker(*worker, message.update_worker());
      break;
    case M::kUpdateJob:
      onUpdateJob(*worker, message.update_job());
      break;
    case M::kPing: {
      livekit::ServerMessage pong;
      pong.mutable_pong()->set_last_timestamp(message.ping().timestamp());
      pong.mutable_pong()->set_timestamp(clock_.unixNanos() / 1'000'000);
      worker->connection->send(pong);
      break;
    }
    case M::kSimulateJob:
      // The worker names the room: a team worker could get a join token for
      // another team's room. Only platform workers may simulate jobs.
      if (!worker->teamId.empty()) {
        log()->warn("worker {}: simulate_job refused: the worker is scoped to team {}", workerId, worker->teamId);
        break;
      }
      onSimulateJob(*worker, message.simulate_job());
      break;
    case M::kMigrateJob:  // as in LiveKit's OSS server: accepted, not acted on
      log()->debug("worker {}: migrate_job for {} job(s) ignored", workerId, message.migrate_job().job_ids_size());
      break;
    case M::MESSAGE_NOT_SET:
      log()->debug("worker {}: message of an unknown type ignored", workerId);
      break;
  }
  updateGauges();
  return std::nullopt;
}

void Dispatcher::onWorkerClosed(const std::string& workerId) {
  Worker* worker = workers_->find(workerId);
  if (!worker) return;
  const auto running = worker->runningJobs;
  workers_->remove(workerId);
  log()->info("worker {} disconnected with {} running job(s)", workerId, running.size());
  for (const auto& jobId : jobs_->idsIn(JobPhase::Offered)) {
    JobRecord* job = jobs_->find(jobId);
    if (job && job->workerId == workerId) {
      metrics_->countAttempt("worker closed");
      retryElsewhere(*job, "worker closed");
    }
  }
  for (const auto& jobId : running) {
    JobRecord* job = jobs_->find(jobId);
    if (!job || job->phase != JobPhase::Running) continue;
    const auto& identity = job->job.state().participant_identity();
    const RoomState* room = rooms_->find(job->roomName());
    if (room && room->participants.contains(identity)) {
      // The job process outlived its worker's connection and is in the room:
      // it keeps running and ends when the agent leaves.
      log()->info("job {}: worker {} is gone but agent {} is still in room {}; the job stays", jobId, workerId,
                  identity, job->roomName());
      continue;
    }
    log()->info("job {}: worker {} dropped and agent {} is not in room {}; dispatching again", jobId, workerId,
                identity, job->roomName());
    dispatchAgain(*job);
  }
  updateGauges();
  placeWaitingJobs();
}

void Dispatcher::closeAllWorkers(const std::string& reason) {
  // Each close comes back through onWorkerClosed; ids, since that erases.
  for (const auto& id : workers_->ids()) {
    if (Worker* w = workers_->find(id)) w->connection->close(common::close_code::kGoingAway, reason);
  }
}

void Dispatcher::onAvailability(Worker& worker, const livekit::AvailabilityResponse& response) {
  JobRecord* job = jobs_->find(response.job_id());
  if (!job || job->phase != JobPhase::Offered || job->workerId != worker.id) {
    log()->warn("worker {}: availability for job '{}', which it was not asked about; ignored", worker.id,
                response.job_id());
    return;
  }
  if (response.terminate()) {
    log()->info("job {}: worker {} answered terminate; the job is done", job->id(), worker.id);
    job->attempts.back().outcome = "terminated";
    metrics_->countAttempt("terminated");
    finish(*job, livekit::JS_SUCCESS, {}, false);
    return;
  }
  if (!response.available()) {
    log()->info("job {}: worker {} declined", job->id(), worker.id);
    metrics_->countAttempt("declined");
    retryElsewhere(*job, "declined");
    return;
  }
  if (auto bad = checkAgentParticipant(response); !bad.empty()) {
    refuse(*job, worker, bad);
    return;
  }
  accept(*job, worker, response);
}

void Dispatcher::onUpdateWorker(Worker& worker, const livekit::UpdateWorkerStatus& update) {
  const bool wasAvailable = worker.available();
  const float oldLoad = worker.load;
  if (update.has_status() && livekit::WorkerStatus_IsValid(update.status())) worker.status = update.status();
  const float load = update.load();
  worker.load = std::isfinite(load) ? std::clamp(load, 0.0F, 1.0F) : 1.0F;
  if (wasAvailable != worker.available()) {
    log()->info("worker {} is now {} (load {:.2f})", worker.id, livekit::WorkerStatus_Name(worker.status), worker.load);
  }
  if (worker.available() && (!wasAvailable || worker.load < oldLoad)) placeWaitingJobs();
}

void Dispatcher::onUpdateJob(Worker& worker, const livekit::UpdateJobStatus& update) {
  JobRecord* job = jobs_->find(update.job_id());
  if (!job || job->phase != JobPhase::Running || job->workerId != worker.id) {
    log()->debug("worker {}: status for unknown job '{}' ignored", worker.id, update.job_id());
    return;
  }
  if (update.status() == livekit::JS_SUCCESS || update.status() == livekit::JS_FAILED) {
    finish(*job, update.status(), update.error(), false);
    return;
  }
  auto& state = *job->job.mutable_state();
  const auto now = clock_.unixNanos();
  state.set_status(update.status() == livekit::JS_PENDING ? livekit::JS_PENDING : livekit::JS_RUNNING);
  state.set_error(update.error());
  state.set_updated_at(now);
  if (state.started_at() == 0) state.set_started_at(now);
  log()->info("job {}: worker {} reports {}", job->id(), worker.id, livekit::JobStatus_Name(state.status()));
}

void Dispatcher::onSimulateJob(Worker& worker, const livekit::SimulateJobRequest& request) {
  // As LiveKit does: the requested type is ignored, the worker's own name is
  // used, and only this worker is asked.
  JobRecord record;
  auto& job = record.job;
  job.set_id(common::newId("AJ_"));
  job.set_type(request.has_participant() ? livekit::JT_PUBLISHER : livekit::JT_ROOM);
  *job.mutable_room() = request.room();
  if (request.has_participant()) *job.mutable_participant() = request.participant();
  job.set_namespace_(worker.key.ns);
  job.set_agent_name(worker.key.agentName);
  job.mutable_state()->set_status(livekit::JS_PENDING);
  record.key = worker.key;
  record.pinnedWorkerId = worker.id;
  record.queuedAt = clock_.now();
  auto& inserted = jobs_->insert(std::move(record));
  log()->info("job {}: simulated by worker {} in room '{}'", inserted.id(), worker.id, inserted.roomName());
  place(inserted);
}

}  // namespace convox::dispatcher
