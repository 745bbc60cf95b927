#pragma once

// RFC 4571 framing, as ICE-TCP uses it (RFC 6544 §3): on a TCP connection
// every STUN, DTLS, RTP or RTCP packet is preceded by its length, 16 bits
// big-endian. The reader reassembles frames in a fixed buffer and hands
// them out in place; the send queue is a fixed ring that takes a whole
// frame or nothing. Neither allocates nor touches a socket, so both are
// tested byte by byte without one.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace convox::rtc {

class Rfc4571Reader {
 public:
  static constexpr size_t kHeader = 2;
  // Larger than any packet a WebRTC peer sends (the UDP mux drops datagrams
  // over 2048 bytes the same way); a longer frame ends the connection.
  static constexpr size_t kMaxFrame = 2048;
  static constexpr size_t kCapacity = 8192;

  enum class Status {
    Frame,     // `frame` is the next packet, in place, until the next space()
    NeedMore,  // no complete frame buffered: read into space()
    Oversize,  // a length over kMaxFrame: the stream cannot be followed
  };

  // Where the next read goes; moves a partial frame to the front first when
  // a whole frame might not fit behind it. Empty only while complete frames
  // are still buffered: take them with next() first.
  std::span<uint8_t> space();
  // `n` bytes were read into space().
  void commit(size_t n) { end_ += n; }
  Status next(std::span<uint8_t>& frame);
  size_t buffered() const { return end_ - begin_; }

 private:
  std::array<uint8_t, kCapacity> buffer_{};
  size_t begin_ = 0;  // the first byte not yet handed out
  size_t end_ = 0;    // one past the last byte read
  bool broken_ = false;
};

class Rfc4571SendQueue {
 public:
  static constexpr size_t kCapacity = size_t{64} * 1024;

  // The framed packet, whole, or false if it does not fit (the caller counts
  // a drop, as a full UDP socket buffer loses a datagram) or is over 65535.
  bool push(std::span<const uint8_t> packet);
  // The bytes waiting to be written, oldest first: two spans when the ring wraps.
  std::array<std::span<const uint8_t>, 2> pending() const;
  // `n` bytes of pending() were written.
  void consume(size_t n);
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

 private:
  std::array<uint8_t, kCapacity> ring_{};
  size_t head_ = 0;  // the oldest byte
  size_t size_ = 0;
};

}  // namespace convox::rtc
