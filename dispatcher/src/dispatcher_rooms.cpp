// Dispatcher: per-room dispatch records, the room events that launch jobs,
// and the AgentDispatchService operations.

#include "common/ids.hpp"
#include "common/logging.hpp"
#include "dispatcher/dispatcher.hpp"
#include "field_limits.hpp"
#include "job_table.hpp"
#include "room_table.hpp"
#include "worker_pool.hpp"

namespace convox::dispatcher {

namespace {

auto log() { return common::logger("dispatch"); }

livekit::RoomAgentDispatch configFrom(const livekit::CreateAgentDispatchRequest& req) {
  livekit::RoomAgentDispatch config;
  config.set_agent_name(req.agent_name());
  config.set_metadata(req.metadata());
  config.set_restart_policy(req.restart_policy());
  config.set_deployment(req.deployment());
  *config.mutable_attributes() = req.attributes();
  return config;
}

DispatchError invalid(std::string message) { return {DispatchError::Code::InvalidArgument, std::move(message)}; }
DispatchError notFound(std::string message) { return {DispatchError::Code::NotFound, std::move(message)}; }

}  // namespace

DispatchRecord& Dispatcher::addDispatch(RoomState& room, const livekit::RoomAgentDispatch& config,
                                        const std::string& teamId) {
  DispatchRecord record;
  record.teamId = teamId;
  auto& d = record.dispatch;
  d.set_id(common::newId("AD_"));
  d.set_agent_name(config.agent_name());
  d.set_room(room.info.name());
  d.set_metadata(config.metadata());
  d.set_restart_policy(config.restart_policy());
  d.set_deployment(config.deployment());
  *d.mutable_attributes() = config.attributes();
  d.mutable_state()->set_created_at(clock_.unixNanos());
  log()->info("room {}: dispatch {} for agent '{}'{}{}", room.info.name(), d.id(), d.agent_name(),
              d.agent_name().empty() ? " (automatic dispatch)" : "", teamId.empty() ? "" : ", team " + teamId);
  room.dispatches.push_back(std::move(record));
  return room.dispatches.back();
}

void Dispatcher::launchJob(RoomState& room, DispatchRecord& record, livekit::JobType type,
                           const livekit::ParticipantInfo* participant) {
  const auto& dispatch = record.dispatch;
  JobRecord job;
  auto& j = job.job;
  j.set_id(common::newId("AJ_"));
  j.set_dispatch_id(dispatch.id());
  j.set_type(type);
  *j.mutable_room() = room.info;
  if (participant) *j.mutable_participant() = *participant;
  j.set_metadata(dispatch.metadata());
  j.set_agent_name(dispatch.agent_name());
  j.set_deployment(dispatch.deployment());
  *j.mutable_attributes() = dispatch.attributes();
  j.mutable_state()->set_status(livekit::JS_PENDING);
  j.mutable_state()->set_updated_at(clock_.unixNanos());
  job.key = {dispatch.agent_name(), "", type, dispatch.deployment()};
  job.teamId = record.teamId;
  job.queuedAt = clock_.now();
  auto& inserted = jobs_->insert(std::move(job));
  record.jobIds.push_back(inserted.id());
  log()->info("job {}: created, {} for dispatch {} in room {}{}{}", inserted.id(), livekit::JobType_Name(type),
              dispatch.id(), room.info.name(), participant ? ", participant " : "",
              participant ? participant->identity() : "");
  place(inserted);
}

void Dispatcher::onRoomStarted(const livekit::Room& info, const std::vector<livekit::RoomAgentDispatch>& agents) {
  RoomState& room = rooms_->open(info);
  if (agents.empty()) {
    addDispatch(room, livekit::RoomAgentDispatch{});
  } else {
    for (const auto& config : agents) addDispatch(room, config);
  }
  for (auto& record : room.dispatches) launchJob(room, record, livekit::JT_ROOM, nullptr);
  updateGauges();
}

void Dispatcher::onRoomFinished(const livekit::Room& info) {
  if (!rooms_->find(info.name())) return;
  const auto ids = jobs_->idsInRoom(info.name());
  // Unstarted jobs go first, so that ending a running one (which frees its
  // worker) cannot offer them again.
  for (const auto& id : ids) {
    const JobRecord* job = jobs_->find(id);
    if (job && job->phase != JobPhase::Running && job->phase != JobPhase::Ended) cancel(id, "room closed");
  }
  for (const auto& id : ids) {
    // LiveKit sends nothing here (the agent is disconnected with the room);
    // we also tell the worker, so that a job whose agent never joined ends.
    if (JobRecord* job = jobs_->find(id); job && job->phase == JobPhase::Running) {
      finish(*job, livekit::JS_SUCCESS, {}, true);
    }
  }
  for (const auto& id : ids) forget(id);
  rooms_->close(info.name());
  log()->info("room {}: closed; its dispatches and jobs are gone", info.name());
  updateGauges();
}

void Dispatcher::onParticipantJoined(const livekit::Room& info, const livekit::ParticipantInfo& p) {
  RoomState* room = rooms_->find(info.name());
  if (!room) return;
  room->participants[p.identity()] = p;
  if (isDependentParticipant(p)) {
    for (const auto& id : jobs_->idsInRoom(info.name())) {
      // An agent whose connection dropped is back: its job goes on.
      JobRecord* job = jobs_->find(id);
      if (job && job->phase == JobPhase::Running && job->job.state().participant_identity() == p.identity()) {
        job->agentDroppedUntil.reset();
      }
    }
    return;
  }
  for (auto& record : room->dispatches) launchJob(*room, record, livekit::JT_PARTICIPANT, &p);
  updateGauges();
}

void Dispatcher::onParticipantLeft(const livekit::Room& info, const livekit::ParticipantInfo& p) {
  RoomState* room = rooms_->find(info.name());
  if (!room) return;
  room->participants.erase(p.identity());
  const auto ids = jobs_->idsInRoom(info.name());
  for (const auto& id : ids) {
    const JobRecord* job = jobs_->find(id);
    if (job && (job->phase == JobPhase::Waiting || job->phase == JobPhase::Offered) && job->job.has_participant() &&
        job->job.participant().identity() == p.identity()) {
      cancel(id, "participant " + p.identity() + " left before an agent took the job");
    }
  }
  // A leave without goodbye (signal closed, ping timeout) may be a crash of
  // the whole worker, whose own connection may drop just before or after.
  const bool dropped =
      p.disconnect_reason() == livekit::SIGNAL_CLOSE || p.disconnect_reason() == livekit::CONNECTION_TIMEOUT;
  for (const auto& id : ids) {
    JobRecord* job = jobs_->find(id);
    if (!job || job->phase != JobPhase::Running || job->job.state().participant_identity() != p.identity()) continue;
    if (p.disconnect_reason() == livekit::DUPLICATE_IDENTITY) {
      // Replaced by a participant of its own identity: the agent joined
      // again (a full reconnect before the server gave its session up).
      log()->info("job {}: agent {} joined room {} again", id, p.identity(), info.name());
      continue;
    }
    if (dropped && !workers_->find(job->workerId)) {
      log()->info("job {}: agent {} dropped from room {} and worker {} is gone; dispatching again", id, p.identity(),
                  info.name(), job->workerId);
      dispatchAgain(*job);
    } else if (dropped) {
      log()->info("job {}: agent {} dropped from room {}; the job fails unless worker {} drops within {} ms", id,
                  p.identity(), info.name(), job->workerId, options_.agentDropGrace.count());
      job->agentDroppedUntil = clock_.now() + options_.agentDropGrace;
    } else {
      log()->info("job {}: agent {} left room {}", id, p.identity(), info.name());
      finish(*job, livekit::JS_FAILED, "agent worker left the room", true);
    }
  }
  updateGauges();
}

void Dispatcher::onTrackPublished(const livekit::Room& info, const livekit::ParticipantInfo& p) {
  RoomState* room = rooms_->find(info.name());
  if (!room || isDependentParticipant(p) || room->publishers.contains(p.identity())) return;
  room->publishers.insert(p.identity());
  for (auto& record : room->dispatches) launchJob(*room, record, livekit::JT_PUBLISHER, &p);
  updateGauges();
}

livekit::AgentDispatch Dispatcher::withJobs(const DispatchRecord& record) const {
  livekit::AgentDispatch out = record.dispatch;
  for (const auto& id : record.jobIds) {
    if (const JobRecord* job = jobs_->find(id)) *out.mutable_state()->add_jobs() = job->job;
  }
  return out;
}

boost::system::result<livekit::AgentDispatch, DispatchError> Dispatcher::createDispatch(
    const livekit::CreateAgentDispatchRequest& req, const std::string& teamId) {
  if (req.room().empty()) return invalid("room is required");
  if (auto bad = validateDeployment(req.deployment()); !bad.empty()) return invalid(bad);
  if (auto bad = checkDispatch(req); !bad.empty()) return invalid(bad);
  if (!rooms_->find(req.room()) && createRoom_) createRoom_(req.room());
  RoomState* room = rooms_->find(req.room());
  if (!room) return notFound("room " + req.room() + " does not exist");
  auto& record = addDispatch(*room, configFrom(req), teamId);
  // As LiveKit: the answer comes before the jobs, with state.jobs empty.
  const auto created = record.dispatch;
  const auto& dispatchId = created.id();
  std::vector<livekit::ParticipantInfo> present;
  for (const auto& [identity, p] : room->participants) {
    if (!isDependentParticipant(p)) present.push_back(p);
  }
  launchJob(*room, record, livekit::JT_ROOM, nullptr);
  for (const auto& p : present) {
    // Re-find the record each time: placement may not touch it, but be safe.
    DispatchRecord* current = room->findDispatch(dispatchId);
    if (!current) break;
    if (room->publishers.contains(p.identity())) launchJob(*room, *current, livekit::JT_PUBLISHER, &p);
    if ((current = room->findDispatch(dispatchId))) launchJob(*room, *current, livekit::JT_PARTICIPANT, &p);
  }
  updateGauges();
  return created;
}

boost::system::result<livekit::AgentDispatch, DispatchError> Dispatcher::deleteDispatch(const std::string& roomName,
                                                                                        const std::string& dispatchId) {
  if (roomName.empty()) return invalid("room is required");
  RoomState* room = rooms_->find(roomName);
  if (!room) return notFound("room " + roomName + " does not exist");
  DispatchRecord* record = room->findDispatch(dispatchId);
  if (!record) return notFound("dispatch " + dispatchId + " is not in room " + roomName);
  auto deleted = withJobs(*record);
  deleted.mutable_state()->set_deleted_at(clock_.unixNanos());
  const auto jobIds = record->jobIds;
  log()->info("room {}: dispatch {} deleted; ending its {} job(s)", roomName, dispatchId, jobIds.size());
  for (const auto& id : jobIds) {
    const JobRecord* job = jobs_->find(id);
    if (job && job->phase != JobPhase::Running && job->phase != JobPhase::Ended) {
      cancel(id, "dispatch " + dispatchId + " deleted");
    }
  }
  std::vector<std::string> agentsInRoom;
  for (const auto& id : jobIds) {
    // LiveKit: TERMINATION_REQUESTED, and the job counts as a success.
    if (JobRecord* job = jobs_->find(id); job && job->phase == JobPhase::Running) {
      const auto identity = job->job.state().participant_identity();
      finish(*job, livekit::JS_SUCCESS, {}, true);
      if (room->participants.contains(identity)) agentsInRoom.push_back(identity);
    }
  }
  std::erase_if(room->dispatches, [&](const auto& d) { return d.dispatch.id() == dispatchId; });
  updateGauges();
  // Last: removing a participant comes back here as onParticipantLeft, which
  // may change the room's state.
  for (const auto& identity : agentsInRoom) {
    log()->info("room {}: removing agent {} of deleted dispatch {}", roomName, identity, dispatchId);
    if (removeParticipant_) removeParticipant_(roomName, identity);
  }
  return deleted;
}

boost::system::result<std::vector<livekit::AgentDispatch>, DispatchError> Dispatcher::listDispatches(
    const std::string& roomName, const std::string& dispatchId) const {
  if (roomName.empty()) return invalid("room is required");
  std::vector<livekit::AgentDispatch> out;
  const RoomState* room = rooms_->find(roomName);
  if (!room) return out;
  for (const auto& record : room->dispatches) {
    if (dispatchId.empty() || record.dispatch.id() == dispatchId) out.push_back(withJobs(record));
  }
  return out;
}

}  // namespace convox::dispatcher
