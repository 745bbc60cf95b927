// libFuzzer target: the per-packet forwarding state machines driven by an
// arbitrary stream of operations. RtpMunger: an outgoing number is never
// handed out twice, and history() knows every packet just sent.
// RetransmissionBuffer: a packet just stored is found, and find() only ever
// returns the bytes last stored under that number. NackResponder: only NACKed
// numbers come back, within the output size.
#include "forwarding/nack_responder.hpp"
#include "forwarding/retransmission_buffer.hpp"
#include "forwarding/rtp_munger.hpp"
#include "fuzz_support.hpp"
#include "rtc/rtcp_feedback.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <vector>

namespace {

using convox::fuzzing::check;
using convox::fuzzing::Reader;

using namespace convox::sfu;

struct MungerModel {
  RtpMunger munger{90000, 65000, 0xfffff000};
  uint16_t lastOutgoing = 64999;  // the number before the initial one
  uint64_t issued = 0;            // outgoing numbers handed out so far
  std::set<uint64_t> returned;    // issue indices of numbers already sent
  std::array<uint32_t, 4> ssrcs{{1, 2, 3, 4}};
  std::array<uint16_t, 4> sequences{{0, 100, 40000, 65500}};
  int64_t now = 0;

  void step(Reader& in) {
    const uint8_t op = in.u8();
    const size_t source = op & 3;
    // Mostly small steps around the source's position, sometimes anywhere.
    const auto delta = static_cast<int8_t>(in.u8());
    uint16_t& seq = sequences[source];
    seq = (op & 0x40) != 0 ? in.u16() : static_cast<uint16_t>(seq + delta);
    now += in.u8() * 1000;
    if ((op & 0x80) != 0) {
      munger.skip(ssrcs[source], seq);
      account();
      return;
    }
    const uint32_t timestamp = static_cast<uint32_t>(seq) * 3000u;
    const auto out = munger.forward(ssrcs[source], seq, timestamp, now);
    account();
    if (!out) return;
    // Issue index of the number returned: counted back from the newest.
    const auto behind = static_cast<uint16_t>(lastOutgoing - out->sequenceNumber);
    check(behind < RtpMunger::kReorderWindow + RtpMunger::kMaxForwardJump);
    const uint64_t index = issued - 1 - behind;
    check(returned.insert(index).second);
    const auto entry = munger.history(out->sequenceNumber);
    check(entry.has_value());
    check(entry->ssrc == ssrcs[source] && entry->sourceSequenceNumber == seq && entry->timestamp == out->timestamp);
  }

  // Any call hands out fewer than 2^16 numbers, so the change of the newest
  // number modulo 2^16 is how many were handed out.
  void account() {
    if (!munger.started()) return;
    const auto added = static_cast<uint16_t>(munger.lastSequenceNumber() - lastOutgoing);
    issued += added;
    lastOutgoing = munger.lastSequenceNumber();
  }
};

struct BufferModel {
  RetransmissionBuffer buffer{16, 64};
  std::map<uint16_t, std::vector<uint8_t>> lastStored;
  uint16_t sequence = 0;

  void step(Reader& in) {
    const uint8_t op = in.u8();
    sequence = (op & 0x80) != 0 ? in.u16() : static_cast<uint16_t>(sequence + static_cast<int8_t>(in.u8()));
    if ((op & 0x40) != 0) {
      const auto found = buffer.find(sequence);
      if (!found.empty()) {
        const auto it = lastStored.find(sequence);
        check(it != lastStored.end() && std::equal(found.begin(), found.end(), it->second.begin(), it->second.end()));
      }
      return;
    }
    std::vector<uint8_t> packet(op & 0x3f, 0);
    for (auto& byte : packet) byte = in.u8();
    packet.resize(std::min<size_t>(packet.size() + (op & 0x20), 80));  // sometimes oversize
    if (!buffer.store(sequence, packet)) {
      check(packet.empty() || packet.size() > 64 || !lastStored.empty());
      return;
    }
    lastStored[sequence] = packet;
    const auto found = buffer.find(sequence);
    check(std::equal(found.begin(), found.end(), packet.begin(), packet.end()));
  }
};

void nackStep(Reader& in, NackResponder& responder, int64_t now) {
  std::array<uint16_t, 8> lost{};
  for (auto& s : lost) s = in.u16();
  std::array<uint8_t, 128> bytes{};
  const auto size = convox::rtc::buildNack(1, 2, lost, bytes);
  check(size.ok());
  const auto packet = convox::rtc::RtcpPacketView::parse(std::span(bytes).first(*size));
  check(packet.ok());
  const auto nack = convox::rtc::NackView::parse(*packet);
  check(nack.ok());
  std::array<uint16_t, 5> out{};
  const size_t count = responder.select(*nack, now, out);
  check(count <= out.size());
  for (size_t i = 0; i < count; ++i) check(std::find(lost.begin(), lost.end(), out[i]) != lost.end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(std::span(data, size));
  MungerModel munger;
  BufferModel buffer;
  NackResponder responder(50'000, 2);
  int64_t now = 0;
  while (!in.empty()) {
    switch (in.u8() % 3) {
      case 0:
        munger.step(in);
        break;
      case 1:
        buffer.step(in);
        break;
      default:
        now += in.u8() * 1000;
        nackStep(in, responder, now);
        break;
    }
  }
  return 0;
}
