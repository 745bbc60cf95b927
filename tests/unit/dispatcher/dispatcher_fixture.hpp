#pragma once

// A dispatcher on a manual clock, with workers that are recording fakes.

#include "common/access_token.hpp"
#include "dispatcher/dispatcher.hpp"
#include "manual_clock.hpp"
#include "recording_worker_connection.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

namespace convox::testing {

class DispatcherTest : public ::testing::Test {
 protected:
  static constexpr const char* kKey = "devkey";
  static constexpr const char* kSecret = "secret";

  DispatcherTest() : dispatcher_(clock_, secrets(), options(), registry_, [this] { return draw_; }) {}

  static common::SecretLookup secrets() {
    return [](std::string_view key) -> std::optional<std::string> {
      if (key == kKey) return std::string(kSecret);
      return std::nullopt;
    };
  }
  static dispatcher::DispatcherOptions options() {
    dispatcher::DispatcherOptions o;
    o.publicUrl = "ws://127.0.0.1:7880";
    o.serverVersion = "1.9.0";
    o.nodeId = "ND_test";
    return o;
  }

  struct FakeWorker {
    std::shared_ptr<RecordingWorkerConnection> conn;
    std::string id;
  };

  // `teamId` empty: a platform worker; else a worker of that team only.
  FakeWorker registerWorker(const std::string& agentName = "", livekit::JobType type = livekit::JT_ROOM,
                            const std::string& teamId = {}) {
    livekit::RegisterWorkerRequest req;
    req.set_agent_name(agentName);
    req.set_type(type);
    req.set_version("test");
    auto conn = std::make_shared<RecordingWorkerConnection>();
    auto id = dispatcher_.registerWorker(conn, {kKey, teamId}, req);
    EXPECT_TRUE(id.has_value());
    return {conn, id ? *id : std::string()};
  }

  void send(const FakeWorker& w, const livekit::WorkerMessage& msg) {
    auto error = dispatcher_.onWorkerMessage(w.id, msg);
    EXPECT_FALSE(error.has_value()) << error->reason;
  }

  void answer(const FakeWorker& w, const std::string& jobId, bool available, bool terminate = false) {
    livekit::WorkerMessage msg;
    auto& a = *msg.mutable_availability();
    a.set_job_id(jobId);
    a.set_available(available);
    a.set_terminate(terminate);
    if (available) {
      a.set_participant_identity("agent-" + jobId);
      a.set_participant_name("agent");
      (*a.mutable_participant_attributes())["lk.agent.name"] = "";
    }
    send(w, msg);
  }

  void updateWorker(const FakeWorker& w, std::optional<livekit::WorkerStatus> status, float load) {
    livekit::WorkerMessage msg;
    if (status) msg.mutable_update_worker()->set_status(*status);
    msg.mutable_update_worker()->set_load(load);
    send(w, msg);
  }

  void updateJob(const FakeWorker& w, const std::string& jobId, livekit::JobStatus status, std::string error = {}) {
    livekit::WorkerMessage msg;
    msg.mutable_update_job()->set_job_id(jobId);
    msg.mutable_update_job()->set_status(status);
    msg.mutable_update_job()->set_error(std::move(error));
    send(w, msg);
  }

  static livekit::Room room(const std::string& name) {
    livekit::Room r;
    r.set_name(name);
    r.set_sid("RM_" + name);
    return r;
  }

  static livekit::ParticipantInfo participant(
      const std::string& identity, livekit::ParticipantInfo::Kind kind = livekit::ParticipantInfo::STANDARD) {
    livekit::ParticipantInfo p;
    p.set_identity(identity);
    p.set_sid("PA_" + identity);
    p.set_kind(kind);
    return p;
  }

  void startRoom(const std::string& name, std::vector<livekit::RoomAgentDispatch> agents = {}) {
    dispatcher_.onRoomStarted(room(name), agents);
  }

  // The id of the single job in `roomName`'s JT_ROOM dispatch, or "".
  std::string onlyJob(const std::string& roomName) {
    auto jobs = dispatcher_.jobsInRoom(roomName);
    EXPECT_EQ(jobs.size(), 1U);
    return jobs.empty() ? std::string() : jobs.front().job.id();
  }

  dispatcher::JobPhase phase(const std::string& jobId) {
    auto job = dispatcher_.findJob(jobId);
    EXPECT_TRUE(job.has_value()) << jobId;
    return job ? job->phase : dispatcher::JobPhase::Ended;
  }

  std::string metricsText() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  ManualClock clock_;
  prometheus::Registry registry_;
  double draw_ = 0.0;
  dispatcher::Dispatcher dispatcher_;
};

}  // namespace convox::testing
