// RFC 2198 redundant audio payloads: block parsing, primary extraction and
// the in-place rewrite of the block payload types.
#include "rtc/red_payload.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using convox::rtc::kMaxRedBlocks;
using convox::rtc::parseRedPayload;
using convox::rtc::redPrimary;
using convox::rtc::rewriteRedBlockPayloadTypes;

std::vector<uint8_t> bytesOf(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// A redundant block header: F=1, PT, 14-bit timestamp offset, 10-bit length.
void appendRedundantHeader(std::vector<uint8_t>& out, uint8_t pt, uint16_t tsOffset, uint16_t length) {
  out.push_back(static_cast<uint8_t>(0x80 | pt));
  out.push_back(static_cast<uint8_t>(tsOffset >> 6));
  out.push_back(static_cast<uint8_t>(((tsOffset & 0x3f) << 2) | (length >> 8)));
  out.push_back(static_cast<uint8_t>(length & 0xff));
}

// Chromium's usual shape: one redundant Opus frame 960 samples older, then the primary.
std::vector<uint8_t> twoBlocks() {
  std::vector<uint8_t> p;
  appendRedundantHeader(p, 111, 960, 3);
  p.push_back(111);  // primary header
  p.insert(p.end(), {0xA1, 0xA2, 0xA3});
  p.insert(p.end(), {0xB1, 0xB2});
  return p;
}

TEST(RedPayloadTest, ParsesOneRedundantBlockAndThePrimary) {
  const auto p = twoBlocks();
  const auto red = parseRedPayload(p);
  ASSERT_TRUE(red.has_value());
  ASSERT_EQ(red->count, 2u);
  EXPECT_EQ(red->blocks[0].payloadType, 111);
  EXPECT_EQ(red->blocks[0].timestampOffset, 960);
  EXPECT_EQ(bytesOf(red->blocks[0].data), (std::vector<uint8_t>{0xA1, 0xA2, 0xA3}));
  EXPECT_EQ(red->primary().payloadType, 111);
  EXPECT_EQ(red->primary().timestampOffset, 0);
  EXPECT_EQ(bytesOf(red->primary().data), (std::vector<uint8_t>{0xB1, 0xB2}));
}

TEST(RedPayloadTest, PrimaryOnlyPayloadIsTheSingleBlock) {
  const std::vector<uint8_t> p{111, 0x01, 0x02, 0x03};
  const auto primary = redPrimary(p);
  ASSERT_TRUE(primary.has_value());
  EXPECT_EQ(primary->payloadType, 111);
  EXPECT_EQ(bytesOf(primary->data), (std::vector<uint8_t>{0x01, 0x02, 0x03}));
}

TEST(RedPayloadTest, ParsesSeveralRedundantBlocksInOrder) {
  std::vector<uint8_t> p;
  appendRedundantHeader(p, 111, 1920, 2);
  appendRedundantHeader(p, 111, 960, 1);
  p.push_back(111);
  p.insert(p.end(), {0x11, 0x12, 0x21, 0x31, 0x32, 0x33});
  const auto red = parseRedPayload(p);
  ASSERT_TRUE(red.has_value());
  ASSERT_EQ(red->count, 3u);
  EXPECT_EQ(red->blocks[0].timestampOffset, 1920);
  EXPECT_EQ(bytesOf(red->blocks[0].data), (std::vector<uint8_t>{0x11, 0x12}));
  EXPECT_EQ(red->blocks[1].timestampOffset, 960);
  EXPECT_EQ(bytesOf(red->blocks[1].data), (std::vector<uint8_t>{0x21}));
  EXPECT_EQ(bytesOf(red->primary().data), (std::vector<uint8_t>{0x31, 0x32, 0x33}));
}

TEST(RedPayloadTest, LargestOffsetAndLengthFieldsDecode) {
  std::vector<uint8_t> p;
  appendRedundantHeader(p, 111, 0x3fff, 0x3ff);
  p.push_back(111);
  p.resize(p.size() + 0x3ff + 1, 0x55);
  const auto red = parseRedPayload(p);
  ASSERT_TRUE(red.has_value());
  EXPECT_EQ(red->blocks[0].timestampOffset, 0x3fff);
  EXPECT_EQ(red->blocks[0].data.size(), 0x3ffu);
  EXPECT_EQ(red->primary().data.size(), 1u);
}

TEST(RedPayloadTest, RejectsEmptyPayload) { EXPECT_FALSE(parseRedPayload({}).has_value()); }

TEST(RedPayloadTest, RejectsTruncatedRedundantHeader) {
  const std::vector<uint8_t> p{0x80 | 111, 0x00, 0x3c};
  EXPECT_FALSE(parseRedPayload(p).has_value());
}

TEST(RedPayloadTest, RejectsHeadersWithoutAPrimaryHeader) {
  std::vector<uint8_t> p;
  appendRedundantHeader(p, 111, 960, 0);
  EXPECT_FALSE(parseRedPayload(p).has_value());
}

TEST(RedPayloadTest, RejectsBlockLengthBeyondThePayload) {
  std::vector<uint8_t> p;
  appendRedundantHeader(p, 111, 960, 4);
  p.push_back(111);
  p.insert(p.end(), {0x01, 0x02, 0x03});
  EXPECT_FALSE(parseRedPayload(p).has_value());
  EXPECT_FALSE(redPrimary(p).has_value());
}

TEST(RedPayloadTest, RejectsMoreThanTheMaximumBlocks) {
  std::vector<uint8_t> p;
  for (size_t i = 0; i < kMaxRedBlocks; ++i) appendRedundantHeader(p, 111, 960, 0);
  p.push_back(111);
  EXPECT_FALSE(parseRedPayload(p).has_value());

  std::vector<uint8_t> atLimit;
  for (size_t i = 0; i + 1 < kMaxRedBlocks; ++i) appendRedundantHeader(atLimit, 111, 960, 0);
  atLimit.push_back(111);
  const auto red = parseRedPayload(atLimit);
  ASSERT_TRUE(red.has_value());
  EXPECT_EQ(red->count, kMaxRedBlocks);
}

TEST(RedPayloadTest, RewritesBlockPayloadTypesAndKeepsTheRest) {
  auto p = twoBlocks();
  ASSERT_TRUE(rewriteRedBlockPayloadTypes(p, 111, 109));
  const auto red = parseRedPayload(p);
  ASSERT_TRUE(red.has_value());
  EXPECT_EQ(red->blocks[0].payloadType, 109);
  EXPECT_EQ(red->blocks[0].timestampOffset, 960);
  EXPECT_EQ(bytesOf(red->blocks[0].data), (std::vector<uint8_t>{0xA1, 0xA2, 0xA3}));
  EXPECT_EQ(red->primary().payloadType, 109);
  EXPECT_EQ(bytesOf(red->primary().data), (std::vector<uint8_t>{0xB1, 0xB2}));
}

TEST(RedPayloadTest, RewriteLeavesOtherPayloadTypesAndMalformedInputAlone) {
  auto p = twoBlocks();
  p[0] = 0x80 | 13;  // a comfort-noise redundant block
  ASSERT_TRUE(rewriteRedBlockPayloadTypes(p, 111, 109));
  EXPECT_EQ(p[0], 0x80 | 13);
  EXPECT_EQ(p[4], 109);

  std::vector<uint8_t> truncated{0x80 | 111, 0x00};
  const auto before = truncated;
  EXPECT_FALSE(rewriteRedBlockPayloadTypes(truncated, 111, 109));
  EXPECT_EQ(truncated, before);
}

}  // namespace
