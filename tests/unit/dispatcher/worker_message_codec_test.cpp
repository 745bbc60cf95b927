#include "dispatcher/worker_message_codec.hpp"

#include <gtest/gtest.h>

using convox::dispatcher::decodeWorkerMessage;
using convox::dispatcher::encodeServerMessage;

TEST(WorkerMessageCodec, DecodesBinaryAndJson) {
  livekit::WorkerMessage in;
  in.mutable_register_()->set_agent_name("a");
  in.mutable_register_()->set_type(livekit::JT_PUBLISHER);
  livekit::WorkerMessage out;
  ASSERT_TRUE(decodeWorkerMessage(in.SerializeAsString(), true, out).ok);
  EXPECT_EQ(out.register_().agent_name(), "a");
  ASSERT_TRUE(decodeWorkerMessage(R"({"register":{"agentName":"b","type":"JT_PARTICIPANT"}})", false, out).ok);
  EXPECT_EQ(out.register_().type(), livekit::JT_PARTICIPANT);
}

TEST(WorkerMessageCodec, RejectsMalformedFramesWithAReason) {
  livekit::WorkerMessage out;
  auto r = decodeWorkerMessage(std::string("\x0a\xff\xff", 3), true, out);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
  r = decodeWorkerMessage("{not json", false, out);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.error.empty());
}

TEST(WorkerMessageCodec, EncodesServerMessagesInTheWorkersEncoding) {
  livekit::ServerMessage msg;
  msg.mutable_termination()->set_job_id("AJ_1");
  livekit::ServerMessage back;
  ASSERT_TRUE(back.ParseFromString(encodeServerMessage(msg, false)));
  EXPECT_EQ(back.termination().job_id(), "AJ_1");
  EXPECT_NE(encodeServerMessage(msg, true).find("\"jobId\":\"AJ_1\""), std::string::npos);
}
