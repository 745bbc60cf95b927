// Dispatcher: the job state machine. A job waits for a worker, is offered to
// one worker at a time, runs once accepted, and ends exactly once.

#include "common/logging.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/placement.hpp"
#include "dispatcher_metrics.hpp"
#include "field_limits.hpp"
#include "job_table.hpp"
#include "job_token.hpp"
#include "room_table.hpp"
#include "worker_pool.hpp"

#include <algorithm>

namespace convox::dispatcher {

namespace {

auto log() { return common::logger("dispatch"); }

double secondsBetween(Clock::TimePoint from, Clock::TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

void Dispatcher::place(JobRecord& job) {
  std::vector<Worker*> candidates;
  if (!job.pinnedWorkerId.empty()) {
    if (Worker* w = workers_->find(job.pinnedWorkerId); w && !job.tried.contains(w->id)) {
      offer(job, *w);
    } else {
      cancel(job.id(), "the worker that simulated it did not take it");
    }
    return;
  }
  candidates = workers_->candidates(job.key, job.teamId, job.tried);
  std::vector<float> loads;
  loads.reserve(candidates.size());
  for (const Worker* w : candidates) loads.push_back(w->load);
  auto pick = pickWeightedByFreeCapacity(loads, uniform01_());
  if (!pick) {
    wait(job);
    return;
  }
  offer(job, *candidates[*pick]);
}

void Dispatcher::offer(JobRecord& job, Worker& worker) {
  job.phase = JobPhase::Offered;
  job.workerId = worker.id;
  job.deadline = clock_.now() + options_.availabilityTimeout;
  const auto now = clock_.unixNanos();
  job.attempts.push_back({worker.id, "pending", now});

  // The worker sees the job as it will be once it accepts (LiveKit's AssignJob).
  livekit::ServerMessage msg;
  auto& request = *msg.mutable_availability();
  *request.mutable_job() = job.job;
  auto& state = *request.mutable_job()->mutable_state();
  state.set_status(livekit::JS_RUNNING);
  state.set_worker_id(worker.id);
  state.set_started_at(now);
  state.set_updated_at(now);
  worker.connection->send(msg);
  log()->info("job {}: asking worker {} (attempt {}, load {:.2f})", job.id(), worker.id, job.attempts.size(),
              worker.load);
}

void Dispatcher::accept(JobRecord& job, Worker& worker, const livekit::AvailabilityResponse& response) {
  livekit::AvailabilityResponse effective = response;
  if (effective.participant_identity().empty()) effective.set_participant_identity("agent-" + job.id());
  const auto secret = secrets_(worker.apiKey);
  if (!secret) {
    log()->error("job {}: API key {} of worker {} has no secret any more; cannot mint the job token", job.id(),
                 worker.apiKey, worker.id);
    job.attempts.back().outcome = "token error";
    finish(job, livekit::JS_FAILED, "cannot mint the job token", false);
    return;
  }
  const auto now = clock_.unixNanos();
  auto token = mintJobToken(
      {job.job, effective, worker.permissions, worker.key.agentName, worker.apiKey, *secret, now / 1'000'000'000});
  if (token.size() > kMaxJobTokenBytes) {
    refuse(job, worker,
           "the agent's job token would be " + std::to_string(token.size()) + " bytes, more than the limit of " +
               std::to_string(kMaxJobTokenBytes));
    return;
  }
  auto& state = *job.job.mutable_state();
  state.set_status(livekit::JS_RUNNING);
  state.set_participant_identity(effective.participant_identity());
  state.set_worker_id(worker.id);
  state.set_started_at(now);
  state.set_updated_at(now);

  livekit::ServerMessage msg;
  auto& assignment = *msg.mutable_assignment();
  *assignment.mutable_job() = job.job;
  assignment.set_token(std::move(token));
  if (options_.publicUrl) assignment.set_url(*options_.publicUrl);
  worker.connection->send(msg);

  job.phase = JobPhase::Running;
  job.attempts.back().outcome = "accepted";
  worker.runningJobs.insert(job.id());
  metrics_->countAttempt("accepted");
  const double latency = secondsBetween(job.queuedAt, clock_.now());
  metrics_->observeDispatchLatency(latency);
  log()->info("job {}: assigned to worker {} as participant {} ({:.1f} ms after it was queued)", job.id(), worker.id,
              effective.participant_identity(), latency * 1000);
}

void Dispatcher::refuse(JobRecord& job, Worker& worker, const std::string& reason) {
  // The worker's answer cannot become a participant; the job is not lost for
  // it: the next worker is asked. There is no message to tell the worker, so
  // the reason goes to the log and the job's attempts.
  log()->warn("job {}: worker {} accepted, but its agent participant is refused: {}", job.id(), worker.id, reason);
  metrics_->countAttempt("refused");
  retryElsewhere(job, "refused: " + reason);
}

void Dispatcher::wait(JobRecord& job) {
  if (job.phase == JobPhase::Waiting && job.deadline != Clock::TimePoint{}) return;  // already waiting
  job.phase = JobPhase::Waiting;
  job.workerId.clear();
  job.deadline = clock_.now() + options_.queueTimeout;
  log()->info("job {}: no available worker for {} ({} tried); waiting up to {} s", job.id(), describe(job.key),
              job.tried.size(), std::chrono::duration_cast<std::chrono::seconds>(options_.queueTimeout).count());
}

void Dispatcher::retryElsewhere(JobRecord& job, const std::string& outcome) {
  if (!job.attempts.empty()) job.attempts.back().outcome = outcome;
  if (Worker* w = workers_->find(job.workerId)) w->runningJobs.erase(job.id());
  job.tried.insert(job.workerId);
  job.workerId.clear();
  job.phase = JobPhase::Waiting;
  job.deadline = {};  // a fresh wait if nobody else can take it
  place(job);
}

void Dispatcher::dispatchAgain(JobRecord& job) {
  auto& state = *job.job.mutable_state();
  state.set_status(livekit::JS_PENDING);
  state.clear_participant_identity();
  state.clear_worker_id();
  state.set_updated_at(clock_.unixNanos());
  job.agentDroppedUntil.reset();
  job.queuedAt = clock_.now();
  metrics_->countAttempt("worker lost");
  retryElsewhere(job, "worker lost");
}

void Dispatcher::finish(JobRecord& job, livekit::JobStatus status, const std::string& error, bool terminateWorker) {
  if (job.phase == JobPhase::Ended) return;
  Worker* worker = job.workerId.empty() ? nullptr : workers_->find(job.workerId);
  if (worker && terminateWorker && job.phase == JobPhase::Running) {
    livekit::ServerMessage msg;
    msg.mutable_termination()->set_job_id(job.id());
    worker->connection->send(msg);
  }
  if (worker) worker->runningJobs.erase(job.id());
  const auto now = clock_.unixNanos();
  auto& state = *job.job.mutable_state();
  state.set_status(status);
  state.set_error(error);
  state.set_ended_at(now);
  state.set_updated_at(now);
  job.phase = JobPhase::Ended;
  metrics_->countEnded(status == livekit::JS_SUCCESS ? "success" : "failed");
  log()->info("job {}: ended {}{}{}", job.id(), livekit::JobStatus_Name(status), error.empty() ? "" : ": ", error);
  placeWaitingJobs();  // the worker may have room for another job now
}

void Dispatcher::cancel(const std::string& jobId, const std::string& why) {
  const JobRecord* job = jobs_->find(jobId);
  if (!job) return;
  log()->info("job {}: dropped while {}: {}", jobId, describe(job->phase), why);
  metrics_->countEnded("cancelled");
  forget(jobId);
}

void Dispatcher::forget(const std::string& jobId) {
  const JobRecord* job = jobs_->find(jobId);
  if (!job) return;
  if (Worker* w = workers_->find(job->workerId)) w->runningJobs.erase(jobId);
  if (RoomState* room = rooms_->find(job->roomName())) {
    if (DispatchRecord* record = room->findDispatch(job->job.dispatch_id())) std::erase(record->jobIds, jobId);
  }
  jobs_->erase(jobId);
}

void Dispatcher::placeWaitingJobs() {
  // Placing one job can end another (and so ask for placement again): run
  // one pass at a time, and another if someone asked meanwhile.
  if (placing_) {
    placeAgain_ = true;
    return;
  }
  placing_ = true;
  do {
    placeAgain_ = false;
    for (const auto& id : jobs_->idsIn(JobPhase::Waiting)) {
      if (JobRecord* job = jobs_->find(id); job && job->phase == JobPhase::Waiting) place(*job);
    }
  } while (placeAgain_);
  placing_ = false;
  updateGauges();
}

void Dispatcher::onTick() {
  const auto now = clock_.now();
  for (const auto& id : jobs_->idsIn(JobPhase::Offered)) {
    JobRecord* job = jobs_->find(id);
    if (!job || job->phase != JobPhase::Offered || now < job->deadline) continue;
    log()->info("job {}: worker {} did not answer within {} ms; asking the next one", id, job->workerId,
                options_.availabilityTimeout.count());
    metrics_->countAttempt("timeout");
    retryElsewhere(*job, "timeout");
  }
  for (const auto& id : jobs_->idsIn(JobPhase::Running)) {
    JobRecord* job = jobs_->find(id);
    if (!job || job->phase != JobPhase::Running || !job->agentDroppedUntil || now < *job->agentDroppedUntil) continue;
    log()->info("job {}: agent {} dropped and worker {} is still here; the job failed", id,
                job->job.state().participant_identity(), job->workerId);
    finish(*job, livekit::JS_FAILED, "agent worker left the room", true);
  }
  for (const auto& id : jobs_->idsIn(JobPhase::Waiting)) {
    JobRecord* job = jobs_->find(id);
    if (!job || job->phase != JobPhase::Waiting || now < job->deadline) continue;
    log()->info("job {}: no worker for {} took it within {} s; giving up", id, describe(job->key),
                std::chrono::duration_cast<std::chrono::seconds>(options_.queueTimeout).count());
    metrics_->countEnded("expired");
    forget(id);
  }
  updateGauges();
}

void Dispatcher::updateGauges() {
  const size_t available = workers_->availableCount();
  metrics_->setWorkers(available, workers_->size() - available);
  metrics_->setJobs(jobs_->countIn(JobPhase::Waiting), jobs_->countIn(JobPhase::Offered),
                    jobs_->countIn(JobPhase::Running));
}

std::optional<JobSnapshot> Dispatcher::findJob(const std::string& jobId) const {
  const JobRecord* job = jobs_->find(jobId);
  if (!job) return std::nullopt;
  return job->snapshot();
}

std::vector<JobSnapshot> Dispatcher::jobsInRoom(const std::string& room) const {
  std::vector<JobSnapshot> out;
  for (const auto& id : jobs_->idsInRoom(room)) out.push_back(jobs_->find(id)->snapshot());
  return out;
}

}  // namespace convox::dispatcher
