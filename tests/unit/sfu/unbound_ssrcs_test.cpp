// A publisher's SSRC that no section claims is not bound again on every
// packet, but again after the retry time; the memory holds a fixed number
// of SSRCs, the oldest replaced.
#include "forwarding/unbound_ssrcs.hpp"

#include <gtest/gtest.h>

using convox::sfu::UnboundSsrcs;

TEST(UnboundSsrcs, AFailedSsrcIsRetriedOnlyAfterTheRetryTime) {
  UnboundSsrcs unbound;
  EXPECT_TRUE(unbound.worthTrying(7, 0));
  unbound.failed(7, 1'000);
  EXPECT_FALSE(unbound.worthTrying(7, 1'000));
  EXPECT_FALSE(unbound.worthTrying(7, 1'000 + UnboundSsrcs::kRetryMicros - 1));
  EXPECT_TRUE(unbound.worthTrying(8, 1'000));  // others are not held back
  EXPECT_TRUE(unbound.worthTrying(7, 1'000 + UnboundSsrcs::kRetryMicros));
  // Failing again pushes the next try out; binding forgets it.
  unbound.failed(7, 500'000);
  EXPECT_FALSE(unbound.worthTrying(7, 600'000));
  unbound.bound(7);
  EXPECT_TRUE(unbound.worthTrying(7, 600'000));
}

TEST(UnboundSsrcs, TheOldestEntryMakesRoomAndAClearForgetsAll) {
  UnboundSsrcs unbound;
  for (uint32_t ssrc = 1; ssrc <= UnboundSsrcs::kEntries; ++ssrc) unbound.failed(ssrc, 0);
  for (uint32_t ssrc = 1; ssrc <= UnboundSsrcs::kEntries; ++ssrc) EXPECT_FALSE(unbound.worthTrying(ssrc, 1));
  unbound.failed(100, 0);  // replaces SSRC 1
  EXPECT_TRUE(unbound.worthTrying(1, 1));
  EXPECT_FALSE(unbound.worthTrying(100, 1));
  EXPECT_FALSE(unbound.worthTrying(2, 1));
  unbound.clear();
  EXPECT_TRUE(unbound.worthTrying(100, 1));
}
