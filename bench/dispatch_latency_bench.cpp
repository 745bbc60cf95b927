// Dispatch latency: participant joined -> JobAssignment sent, with 1, 10 and
// 100 registered workers and 1,000 jobs each. Workers are simulated in
// process: each fake connection encodes what the dispatcher sends (as the
// /agent socket would) and answers every availability request at once with
// an encoded frame that goes through the real decoder. So the figures are
// the server's own cost (room events, placement, offer, answer decoding, job
// token minting, encoding), without the network or a worker's think time.
// Each job has its own room, and rooms stay open: the last job is placed
// with 999 others running. Logging is at warn (info logs every step).
// Run: build/bench/convox_bench_dispatch_latency

#include "common/logging.hpp"
#include "dispatcher/clock.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/worker_message_codec.hpp"

#include <prometheus/registry.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace convox;
using Clock = std::chrono::steady_clock;

constexpr int kJobs = 1000;
constexpr const char* kKey = "devkey";

// Pending answers, in the order the requests went out: the bench's stand-in
// for the event loop delivering the workers' replies.
struct Outbox {
  struct Answer {
    std::string workerId;
    std::string frame;
  };
  std::deque<Answer> answers;
};

// CPU time of this thread: the wall-clock figures on a shared machine also
// hold the time other processes had the core; this is the dispatcher's own.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

class FakeWorker final : public dispatcher::WorkerConnection {
 public:
  FakeWorker(Outbox& outbox, std::vector<std::pair<Clock::time_point, double>>& assignedAt)
      : outbox_(outbox), assignedAt_(assignedAt) {}

  void send(const livekit::ServerMessage& message) override {
    const auto frame = dispatcher::encodeServerMessage(message, false);
    if (message.has_assignment()) {
      assignedAt_.emplace_back(Clock::now(), threadCpuMs());
      ++running;
    } else if (message.has_availability()) {
      livekit::WorkerMessage reply;
      auto& answer = *reply.mutable_availability();
      answer.set_job_id(message.availability().job().id());
      answer.set_available(true);
      answer.set_participant_identity("agent-" + message.availability().job().id());
      answer.set_participant_name("bench agent");
      outbox_.answers.push_back({id, reply.SerializeAsString()});
    }
    bytesSent += frame.size();
  }
  void close(uint16_t /*code*/, std::string /*reason*/) override {}

  std::string id;
  int running = 0;
  size_t bytesSent = 0;  // what the socket would have carried

 private:
  Outbox& outbox_;
  std::vector<std::pair<Clock::time_point, double>>& assignedAt_;  // wall clock, thread CPU ms
};

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

struct Result {
  Percentiles wallMs;
  Percentiles cpuMs;
};

Percentiles percentiles(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double p) {
    const auto index = static_cast<size_t>(std::lround(p * static_cast<double>(samples.size() - 1)));
    return samples[std::min(index, samples.size() - 1)];
  };
  return {at(0.50), at(0.99), samples.back()};
}

Result run(int workerCount) {
  dispatcher::SystemClock clock;
  prometheus::Registry registry;
  dispatcher::DispatcherOptions options;
  options.publicUrl = "ws://127.0.0.1:7880";
  options.serverVersion = "1.9.0";
  options.nodeId = "ND_bench";
  auto secrets = [](std::string_view key) -> std::optional<std::string> {
    if (key == kKey) return std::string("secret-of-at-least-thirty-two-bytes");
    return std::nullopt;
  };
  dispatcher::Dispatcher dispatcher(clock, secrets, options, registry);

  Outbox outbox;
  std::vector<std::pair<Clock::time_point, double>> assignedAt;
  assignedAt.reserve(kJobs);
  std::vector<std::shared_ptr<FakeWorker>> workers;
  for (int i = 0; i < workerCount; ++i) {
    auto worker = std::make_shared<FakeWorker>(outbox, assignedAt);
    livekit::RegisterWorkerRequest request;
    request.set_type(livekit::JT_ROOM);
    request.set_version("bench");
    auto id = dispatcher.registerWorker(worker, {kKey, {}}, request);
    if (!id) {
      std::fprintf(stderr, "register failed: %s\n", id.error().reason.c_str());
      std::exit(1);
    }
    worker->id = *id;
    workers.push_back(worker);
  }
  // Loads stay below 1 so that every worker keeps a weight.
  const double jobsPerWorker = static_cast<double>(kJobs) / workerCount;

  std::vector<double> latenciesMs;
  std::vector<double> cpuMs;
  latenciesMs.reserve(kJobs);
  cpuMs.reserve(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    livekit::Room room;
    room.set_name("room-" + std::to_string(i));
    room.set_sid("RM_" + std::to_string(i));
    livekit::ParticipantInfo participant;
    participant.set_identity("caller-" + std::to_string(i));
    participant.set_sid("PA_" + std::to_string(i));

    const size_t assignedBefore = assignedAt.size();
    const double cpuBefore = threadCpuMs();
    const auto joined = Clock::now();
    // What the sfu reports for the first participant of a new room.
    dispatcher.onRoomStarted(room, {});
    dispatcher.onParticipantJoined(room, participant);
    while (!outbox.answers.empty()) {
      auto answer = std::move(outbox.answers.front());
      outbox.answers.pop_front();
      livekit::WorkerMessage message;
      auto decoded = dispatcher::decodeWorkerMessage(answer.frame, true, message);
      if (!decoded.ok) std::exit(1);
      dispatcher.onWorkerMessage(answer.workerId, message);
    }
    if (assignedAt.size() != assignedBefore + 1) {
      std::fprintf(stderr, "job %d was not assigned\n", i);
      std::exit(1);
    }
    latenciesMs.push_back(std::chrono::duration<double, std::milli>(assignedAt.back().first - joined).count());
    cpuMs.push_back(assignedAt.back().second - cpuBefore);

    // The workers report their load as they fill up, as the SDKs do.
    for (auto& worker : workers) {
      livekit::WorkerMessage update;
      update.mutable_update_worker()->set_load(static_cast<float>(worker->running / (2 * jobsPerWorker)));
      dispatcher.onWorkerMessage(worker->id, update);
    }
  }
  return {percentiles(std::move(latenciesMs)), percentiles(std::move(cpuMs))};
}

}  // namespace

int main() {
  common::initLogging("warn", common::LogFormat::Text);
  std::printf("dispatch latency, participant joined -> JobAssignment sent, %d jobs (in-process fake workers)\n", kJobs);
  std::printf("%8s %10s %10s %10s   %10s %10s\n", "workers", "p50 ms", "p99 ms", "max ms", "cpu p50", "cpu p99");
  for (int workers : {1, 10, 100}) {
    const auto r = run(workers);
    std::printf("%8d %10.3f %10.3f %10.3f   %10.3f %10.3f\n", workers, r.wallMs.p50, r.wallMs.p99, r.wallMs.max,
                r.cpuMs.p50, r.cpuMs.p99);
  }
  return 0;
}
