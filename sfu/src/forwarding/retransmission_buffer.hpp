#pragma once

// Per up-track (per source SSRC) store of the last received RTP packets,
// already decrypted, for answering subscribers' NACKs. All memory is taken at
// construction; store() and find() copy into and view fixed slots.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace convox::sfu {

class RetransmissionBuffer {
 public:
  // capacityPackets is rounded up to a power of two; maxPacketSize is capped
  // at 65535 (an RTP packet in one UDP datagram never exceeds it).
  explicit RetransmissionBuffer(size_t capacityPackets, size_t maxPacketSize = 1500);

  // Keeps a copy of the packet. Not stored (false): empty, larger than
  // maxPacketSize, or older than the newest stored by capacity() or more.
  bool store(uint16_t sequenceNumber, std::span<const uint8_t> packet);

  // The stored packet with this sequence number, or empty when it was never
  // stored, has been overwritten, or lies outside the last capacity() numbers
  // (so a number that came round again after a wrap never finds an old packet).
  // Valid until the next store().
  std::span<const uint8_t> find(uint16_t sequenceNumber) const;

  size_t capacity() const { return capacity_; }
  size_t maxPacketSize() const { return maxPacketSize_; }

 private:
  struct SlotHeader {
    uint64_t extendedSequence;
    uint32_t size;  // 0: empty
  };

  uint8_t* slot(uint64_t extended) const { return storage_.get() + (extended & (capacity_ - 1)) * stride_; }
  // The extended number for `sequenceNumber` nearest the newest stored one.
  uint64_t extend(uint16_t sequenceNumber) const;

  // Allocated by this.
  std::unique_ptr<uint8_t[]> storage_;  // capacity_ slots of stride_ bytes: header, then packet
  // Others.
  size_t capacity_;
  size_t maxPacketSize_;
  size_t stride_;
  bool started_ = false;
  uint64_t highestExtended_ = 0;
};

}  // namespace convox::sfu
