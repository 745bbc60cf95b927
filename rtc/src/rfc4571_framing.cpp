#include "rtc/rfc4571_framing.hpp"

#include <algorithm>
#include <cstring>

namespace convox::rtc {

std::span<uint8_t> Rfc4571Reader::space() {
  if (broken_) return {};
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && kCapacity - begin_ < kHeader + kMaxFrame) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return std::span<uint8_t>(buffer_).subspan(end_);
}

Rfc4571Reader::Status Rfc4571Reader::next(std::span<uint8_t>& frame) {
  if (broken_) return Status::Oversize;
  const size_t available = end_ - begin_;
  if (available < kHeader) return Status::NeedMore;
  const size_t length = (static_cast<size_t>(buffer_[begin_]) << 8) | buffer_[begin_ + 1];
  if (length > kMaxFrame) {
    broken_ = true;
    return Status::Oversize;
  }
  if (available < kHeader + length) return Status::NeedMore;
  frame = std::span<uint8_t>(buffer_).subspan(begin_ + kHeader, length);
  begin_ += kHeader + length;
  return Status::Frame;
}

bool Rfc4571SendQueue::push(std::span<const uint8_t> packet) {
  if (packet.size() > 0xffff || kCapacity - size_ < packet.size() + 2) return false;
  const std::array<uint8_t, 2> header = {static_cast<uint8_t>(packet.size() >> 8), static_cast<uint8_t>(packet.size())};
  auto append = [this](std::span<const uint8_t> bytes) {
    const size_t tail = (head_ + size_) % kCapacity;
    const size_t first = std::min(bytes.size(), kCapacity - tail);
    std::memcpy(ring_.data() + tail, bytes.data(), first);
    std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
    size_ += bytes.size();
  };
  append(header);
  append(packet);
  return true;
}

std::array<std::span<const uint8_t>, 2> Rfc4571SendQueue::pending() const {
  const size_t first = std::min(size_, kCapacity - head_);
  return {std::span<const uint8_t>(ring_).subspan(head_, first), std::span<const uint8_t>(ring_).first(size_ - first)};
}

void Rfc4571SendQueue::consume(size_t n) {
  n = std::min(n, size_);
  head_ = (head_ + n) % kCapacity;
  size_ -= n;
  if (size_ == 0) head_ = 0;
}

}  // namespace convox::rtc
