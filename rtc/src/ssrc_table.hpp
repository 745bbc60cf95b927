#pragma once

// Per-SSRC state looked up once per packet: SSRCs in a sorted array beside
// pointers to entries that never move, so a lookup is a binary search over
// a few cache lines (a hash table's division and node chase cost more at
// the handful to hundreds of streams a connection has). Adding is rare
// (a new stream) and linear.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace convox::rtc::detail {

template <typename T>
class SsrcTable {
 public:
  T* find(uint32_t ssrc) {
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), ssrc);
    if (it == keys_.end() || *it != ssrc) return nullptr;
    return values_[static_cast<size_t>(it - keys_.begin())].get();
  }
  // The entry for `ssrc`, made (value-initialised) if absent.
  T& emplace(uint32_t ssrc) {
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), ssrc);
    const auto at = static_cast<size_t>(it - keys_.begin());
    if (it != keys_.end() && *it == ssrc) return *values_[at];
    keys_.insert(it, ssrc);
    return **values_.insert(values_.begin() + static_cast<std::ptrdiff_t>(at), std::make_unique<T>());
  }
  void erase(uint32_t ssrc) {
    const auto it = std::lower_bound(keys_.begin(), keys_.end(), ssrc);
    if (it == keys_.end() || *it != ssrc) return;
    values_.erase(values_.begin() + (it - keys_.begin()));
    keys_.erase(it);
  }
  // The SSRC whose entry `rank` (T -> an unsigned stamp) is lowest; the table
  // must not be empty. Linear: for the rare eviction at a cap.
  template <typename Rank>
  uint32_t lowest(Rank rank) const {
    size_t best = 0;
    for (size_t i = 1; i < values_.size(); ++i) {
      if (rank(*values_[i]) < rank(*values_[best])) best = i;
    }
    return keys_[best];
  }
  size_t size() const { return keys_.size(); }

 private:
  std::vector<uint32_t> keys_;
  std::vector<std::unique_ptr<T>> values_;  // parallel to keys_
};

}  // namespace convox::rtc::detail
