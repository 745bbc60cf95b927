// RFC 4571 framing without sockets: frames split across reads (down to one
// byte per read), several coalesced in one read, an unframeable length, a
// wrapping send queue that takes a whole frame or none.
#include "rtc/rfc4571_framing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace convox::rtc {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes framed(const Bytes& packet) {
  Bytes out = {static_cast<uint8_t>(packet.size() >> 8), static_cast<uint8_t>(packet.size())};
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

Bytes packet(size_t size, uint8_t seed) {
  Bytes p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(seed + i);
  return p;
}

// Feeds `stream` in reads of `chunk` bytes (as a socket would hand them
// over), collecting every frame; stops at an oversize length.
std::vector<Bytes> feed(Rfc4571Reader& reader, const Bytes& stream, size_t chunk, bool* oversize = nullptr) {
  std::vector<Bytes> frames;
  size_t at = 0;
  for (;;) {
    std::span<uint8_t> frame;
    Rfc4571Reader::Status status;
    while ((status = reader.next(frame)) == Rfc4571Reader::Status::Frame)
      frames.emplace_back(frame.begin(), frame.end());
    if (status == Rfc4571Reader::Status::Oversize) {
      if (oversize) *oversize = true;
      return frames;
    }
    if (at == stream.size()) return frames;
    const auto space = reader.space();
    EXPECT_FALSE(space.empty());
    const size_t n = std::min({chunk, space.size(), stream.size() - at});
    std::memcpy(space.data(), stream.data() + at, n);
    reader.commit(n);
    at += n;
  }
}

TEST(Rfc4571Reader, AFrameSplitAcrossReadsByteByByteComesOutWhole) {
  const Bytes p = packet(1200, 7);
  Rfc4571Reader reader;
  const auto frames = feed(reader, framed(p), 1);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], p);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(Rfc4571Reader, CoalescedFramesInOneReadComeOutInOrder) {
  Bytes stream;
  std::vector<Bytes> sent;
  for (uint8_t i = 0; i < 5; ++i) {
    sent.push_back(packet(20 + i * 100, i));
    const auto f = framed(sent.back());
    stream.insert(stream.end(), f.begin(), f.end());
  }
  Rfc4571Reader reader;
  EXPECT_EQ(feed(reader, stream, stream.size()), sent);
}

TEST(Rfc4571Reader, ManyFramesInAwkwardReadsSurviveTheBuffersCompaction) {
  // Reads of 997 bytes cut headers and payloads everywhere, and a long run
  // of frames makes the reader move partial frames to its front many times.
  Bytes stream;
  std::vector<Bytes> sent;
  for (size_t i = 0; i < 300; ++i) {
    sent.push_back(packet(1 + (i * 389) % Rfc4571Reader::kMaxFrame, static_cast<uint8_t>(i)));
    const auto f = framed(sent.back());
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (const size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{997}, Rfc4571Reader::kCapacity}) {
    Rfc4571Reader reader;
    EXPECT_EQ(feed(reader, stream, chunk), sent) << "reads of " << chunk;
  }
}

TEST(Rfc4571Reader, AFrameOfTheLargestSizeFitsAndOneByteMoreEndsTheStream) {
  Rfc4571Reader reader;
  const Bytes largest = packet(Rfc4571Reader::kMaxFrame, 1);
  auto frames = feed(reader, framed(largest), 5);
  ASSERT_EQ(frames.size(), 1u);

  Rfc4571Reader other;
  bool oversize = false;
  Bytes stream = framed(packet(10, 2));
  const Bytes tooLong = {static_cast<uint8_t>((Rfc4571Reader::kMaxFrame + 1) >> 8),
                         static_cast<uint8_t>(Rfc4571Reader::kMaxFrame + 1)};
  stream.insert(stream.end(), tooLong.begin(), tooLong.end());
  stream.resize(stream.size() + 100, 0);
  frames = feed(other, stream, 1, &oversize);
  EXPECT_EQ(frames.size(), 1u);  // what came before is still handed out
  EXPECT_TRUE(oversize);
  std::span<uint8_t> frame;
  EXPECT_EQ(other.next(frame), Rfc4571Reader::Status::Oversize);  // and it stays broken
  EXPECT_TRUE(other.space().empty());
}

TEST(Rfc4571Reader, GarbageIsFramedAsWhatItClaims) {
  // Framing cannot tell garbage from a packet: a TLS ClientHello on the ICE
  // port reads as a 0x1603 = 5635-byte frame, past the limit; HTTP's "GE"
  // as 18245 bytes. Either ends the connection.
  for (const Bytes& garbage : {Bytes{0x16, 0x03, 0x01, 0x02, 0x00}, Bytes{'G', 'E', 'T', ' ', '/'}}) {
    Rfc4571Reader reader;
    bool oversize = false;
    EXPECT_TRUE(feed(reader, garbage, garbage.size(), &oversize).empty());
    EXPECT_TRUE(oversize);
  }
}

TEST(Rfc4571Reader, AnEmptyFrameIsAnEmptyPacket) {
  Rfc4571Reader reader;
  Bytes stream = {0, 0};
  const auto f = framed({1, 2, 3});
  stream.insert(stream.end(), f.begin(), f.end());
  const auto frames = feed(reader, stream, 1);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].empty());
  EXPECT_EQ(frames[1], (Bytes{1, 2, 3}));
}

Bytes drain(Rfc4571SendQueue& q, size_t most) {
  Bytes out;
  while (!q.empty() && out.size() < most) {
    const auto parts = q.pending();
    const size_t n = std::min(parts[0].size(), most - out.size());
    out.insert(out.end(), parts[0].begin(), parts[0].begin() + static_cast<long>(n));
    q.consume(n);
  }
  return out;
}

TEST(Rfc4571SendQueue, FramesWrapAroundTheRingAndComeOutFramed) {
  Rfc4571SendQueue q;
  Bytes expected;
  Bytes written;
  // Keep the queue part full while pushing, so the ring wraps many times.
  for (size_t i = 0; i < 400; ++i) {
    const Bytes p = packet(100 + (i * 131) % 1300, static_cast<uint8_t>(i));
    ASSERT_TRUE(q.push(p));
    const auto f = framed(p);
    expected.insert(expected.end(), f.begin(), f.end());
    const auto out = drain(q, 700 + i % 900);
    written.insert(written.end(), out.begin(), out.end());
  }
  const auto rest = drain(q, SIZE_MAX);
  written.insert(written.end(), rest.begin(), rest.end());
  EXPECT_EQ(written, expected);
  Rfc4571Reader reader;  // and a reader takes them apart again
  EXPECT_EQ(feed(reader, written, 4096).size(), 400u);
}

TEST(Rfc4571SendQueue, AFullQueueTakesNothingRatherThanPartOfAFrame) {
  Rfc4571SendQueue q;
  const Bytes p = packet(1000, 3);
  size_t pushed = 0;
  while (q.push(p)) ++pushed;
  EXPECT_EQ(pushed, Rfc4571SendQueue::kCapacity / 1002);
  EXPECT_EQ(q.size(), pushed * 1002);
  EXPECT_TRUE(q.push(packet(Rfc4571SendQueue::kCapacity - q.size() - 2, 4)));  // exactly what is left
  EXPECT_FALSE(q.push({}));
  EXPECT_FALSE(Rfc4571SendQueue().push(packet(70000, 5)));  // no 16-bit length for it
}

}  // namespace
}  // namespace convox::rtc
