// libFuzzer target: the /agent worker frame decoder (binary protobuf and JSON
// text), and a dispatcher fed whatever decodes, so that no message sequence
// from one worker can crash the server.
#include "common/logging.hpp"
#include "dispatcher/dispatcher.hpp"
#include "dispatcher/worker_message_codec.hpp"

#include <cstddef>
#include <cstdint>

namespace {

class NullConnection final : public convox::dispatcher::WorkerConnection {
 public:
  void send(const livekit::ServerMessage&) override {}
  void close(uint16_t, std::string) override {}
};

class FixedClock final : public convox::dispatcher::Clock {
 public:
  TimePoint now() const override { return TimePoint{std::chrono::hours(1)}; }
  int64_t unixNanos() const override { return 1'700'000'000'000'000'000; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the frame type, the rest is the frame.
  const bool binary = (data[0] & 1) == 0;
  std::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  livekit::WorkerMessage msg;
  auto result = convox::dispatcher::decodeWorkerMessage(frame, binary, msg);
  if (!result.ok) {
    if (result.error.empty()) __builtin_trap();  // a rejection must say why
    return 0;
  }
  (void)msg.SerializeAsString();

  static FixedClock clock;
  static prometheus::Registry registry;
  static convox::dispatcher::Dispatcher dispatcher(
      clock, [](std::string_view) { return std::optional<std::string>("secret"); }, {}, registry, [] { return 0.5; });
  static bool roomStarted = false;
  if (!roomStarted) {
    convox::common::initLogging("off", convox::common::LogFormat::Text);  // a log line per input is too slow
    livekit::Room room;
    room.set_name("fuzz");
    dispatcher.onRoomStarted(room, {});
    roomStarted = true;
  }
  auto conn = std::make_shared<NullConnection>();
  livekit::RegisterWorkerRequest reg;
  auto id = dispatcher.registerWorker(conn, {"devkey", {}}, reg);
  if (!id) __builtin_trap();
  if (msg.has_register_()) {
    auto second = dispatcher.registerWorker(conn, {"devkey", {}}, msg.register_());
    if (second) dispatcher.onWorkerClosed(*second);
  } else {
    (void)dispatcher.onWorkerMessage(*id, msg);
  }
  dispatcher.onTick();
  dispatcher.onWorkerClosed(*id);
  return 0;
}
