#include "voice/sse_parser.hpp"

#include "voice/chat_stream_decoder.hpp"

#include <gtest/gtest.h>

namespace convox::voice {
namespace {

std::vector<std::string> feedAll(SseParser& p, const std::vector<std::string>& pieces) {
  std::vector<std::string> events;
  std::string error;
  for (const auto& piece : pieces) {
    EXPECT_TRUE(p.feed(
        piece, [&](std::string_view d) { events.emplace_back(d); }, error))
        << error;
  }
  return events;
}

TEST(SseParserTest, EventsSplitAnywhereAcrossReads) {
  const std::string wire = "data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n";
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    SseParser p;
    const auto events = feedAll(p, {wire.substr(0, cut), wire.substr(cut)});
    EXPECT_EQ(events, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "[DONE]"})) << "cut at " << cut;
  }
}

TEST(SseParserTest, MultiLineDataAndOtherFields) {
  SseParser p;
  const auto events = feedAll(p, {"event: message\nid: 7\ndata:first\ndata: second\nretry: 10\n\n", "data\n\n"});
  EXPECT_EQ(events, (std::vector<std::string>{"first\nsecond", ""}));
}

TEST(SseParserTest, AnEndlessLineIsAnError) {
  SseParser p(64);
  std::string error;
  EXPECT_FALSE(p.feed(
      "data: " + std::string(100, 'x'), [](std::string_view) {}, error));
  EXPECT_NE(error.find("over 64 bytes"), std::string::npos) << error;
}

TEST(ChatStreamDecoderTest, NotJsonIsAnError) {
  ChatStreamDecoder d(1024);
  std::string error;
  EXPECT_FALSE(d.onData("{not json", {}, error));
  EXPECT_EQ(error, "a stream event is not a JSON object");
}

TEST(ChatStreamDecoderTest, ToolArgumentsThatAreNotJsonAreAnError) {
  ChatStreamDecoder d(1024);
  std::string error;
  ASSERT_TRUE(d.onData(
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"end_call","arguments":"{\"x\":"}}]}}]})",
      {}, error));
  std::vector<ModelAction> actions;
  EXPECT_FALSE(d.actions(actions, error));
  EXPECT_EQ(error, "tool call end_call: the arguments are not a JSON object");
}

TEST(ChatStreamDecoderTest, ErrorBodies) {
  EXPECT_EQ(errorMessageFromBody(R"({"error":{"message":"m","type":"t"}})"), "m");
  EXPECT_EQ(errorMessageFromBody(R"({"error":"plain"})"), "plain");
  EXPECT_EQ(errorMessageFromBody(R"({"detail":"not found"})"), "not found");
  EXPECT_EQ(errorMessageFromBody("Bad Gateway"), "Bad Gateway");
}

}  // namespace
}  // namespace convox::voice
