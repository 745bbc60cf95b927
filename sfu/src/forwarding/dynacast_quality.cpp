#include "forwarding/dynacast_quality.hpp"

#include <algorithm>

namespace convox::sfu {

bool DynacastQuality::update(int wanted, int64_t nowMicros) {
  wanted = std::clamp(wanted, kNone, kHighest);
  if (wanted >= published_) {
    lowering_ = false;
    if (wanted == published_) return false;
    published_ = wanted;
    return true;
  }
  if (!lowering_) {
    lowering_ = true;
    loweringSinceMicros_ = nowMicros;
    loweringMax_ = wanted;
  }
  loweringMax_ = std::max(loweringMax_, wanted);
  if (nowMicros - loweringSinceMicros_ < downgradeDelayMicros_) return false;
  lowering_ = false;
  published_ = loweringMax_;
  return true;
}

}  // namespace convox::sfu
