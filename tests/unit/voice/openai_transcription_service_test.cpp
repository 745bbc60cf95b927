// OpenAiTranscriptionService against a local server speaking the wire
// formats of OpenAI, whisper.cpp's server and speaches (PROTOCOL-providers §2).
#include "voice/openai_transcription_service.hpp"

#include "http_test_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <cmath>
#include <optional>

namespace convox::voice {
namespace {

using std::chrono::milliseconds;
using testing::AfterReply;
using testing::chunkedHead;
using testing::httpChunk;
using testing::httpResponse;
using testing::HttpTestServer;
using testing::kLastChunk;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using testing::sseEvent;

constexpr const char* kKey = "sk-stt-secret-456";

struct Outcome {
  std::optional<SttResult> result;
  std::string error;
  std::vector<std::string> interims;
  int finals = 0;
};

ScriptedReply json200(std::string_view body) { return {{{httpResponse(200, "OK", "application/json", body)}}}; }

class OpenAiTranscriptionTest : public ::testing::Test {
 protected:
  OpenAiTranscriptionSettings settingsFor(const HttpTestServer& server) {
    OpenAiTranscriptionSettings s;
    s.baseUrl = server.baseUrl();
    s.apiKey = kKey;
    s.language = "en-US";
    s.keywords = {"Convox", "Aiden"};
    s.connectTimeout = milliseconds(3000);
    s.idleTimeout = milliseconds(3000);
    return s;
  }

  std::unique_ptr<OpenAiTranscriptionService> service(const OpenAiTranscriptionSettings& s) {
    return std::make_unique<OpenAiTranscriptionService>(io_, s,
                                                        [this](const ProviderUsage& u) { usage_.push_back(u); });
  }

  // Pushes half a second of audio in 20 ms frames, finishes, runs until the final.
  Outcome transcribe(OpenAiTranscriptionService& stt, size_t samples = 8000) {
    std::vector<int16_t> frame(320);
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<int16_t>(i * 50);
    for (size_t done = 0; done < samples; done += frame.size()) stt.push(frame);
    Outcome out;
    SttCallbacks cb;
    cb.onInterim = [&out](const SttResult& r) { out.interims.push_back(r.text); };
    cb.onFinal = [&out, this](SttResult r, const std::string& e) {
      out.result = std::move(r);
      out.error = e;
      ++out.finals;
      io_.stop();
    };
    stt.finish(cb);
    EXPECT_EQ(out.finals, 0) << "onFinal ran inside finish()";
    io_.restart();
    io_.run_for(milliseconds(10000));
    return out;
  }

  boost::asio::io_context io_;
  std::vector<ProviderUsage> usage_;
};

TEST_F(OpenAiTranscriptionTest, PostsAMultipartWavAndReturnsTheTranscript) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return json200(R"({"text":"  Hello,   Convox.\n","usage":{"type":"tokens","input_tokens":14,"output_tokens":4}})");
  });
  auto stt = service(settingsFor(server));
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "");
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "hello, convox.");
  EXPECT_EQ(out.result->language, "en-US");
  EXPECT_EQ(out.result->confidence, 1.0);
  EXPECT_EQ(out.result->audioMs, 500);

  ASSERT_EQ(server.requests().size(), 1U);
  const auto& req = server.requests()[0];
  EXPECT_EQ(req.requestLine(), "POST /v1/audio/transcriptions HTTP/1.1");
  EXPECT_EQ(req.header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(req.formField("model"), "whisper-1");
  EXPECT_EQ(req.formField("language"), "en");
  EXPECT_EQ(req.formField("prompt"), "Convox, Aiden");
  EXPECT_EQ(req.formField("response_format"), "json");
  EXPECT_FALSE(req.hasFormField("stream"));
  const std::string wav = req.formField("file");
  ASSERT_EQ(wav.size(), 44U + 8000U * 2U);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(static_cast<unsigned char>(wav[24]) | (static_cast<unsigned char>(wav[25]) << 8), 16000 & 0xffff);
  EXPECT_NE(req.body.find(R"(name="file"; filename="audio.wav")"
                          "\r\nContent-Type: audio/wav"),
            std::string::npos);

  ASSERT_EQ(usage_.size(), 1U);
  EXPECT_EQ(usage_[0].stage, "stt");
  EXPECT_EQ(usage_[0].provider, "openai");
  EXPECT_EQ(usage_[0].model, "whisper-1");
  EXPECT_EQ(usage_[0].unit, "audio_seconds");
  EXPECT_DOUBLE_EQ(usage_[0].quantity, 0.5);

  // The next utterance goes out on the same connection.
  auto again = transcribe(*stt);
  EXPECT_EQ(again.error, "");
  EXPECT_EQ(server.requests().size(), 2U);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(OpenAiTranscriptionTest, VerboseJsonGivesLanguageAndConfidenceFromSegments) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return json200(
        R"({"task":"transcribe","language":"english","duration":3.0,"text":"Book a table.",)"
        R"("segments":[{"id":0,"start":0.0,"end":1.0,"text":" Book","avg_logprob":-0.1,"no_speech_prob":0.01},)"
        R"({"id":1,"start":1.0,"end":3.0,"text":" a table.","avg_logprob":-0.4,"no_speech_prob":0.02}],)"
        R"("x_groq":{"id":"req_01"}})");
  });
  auto settings = settingsFor(server);
  settings.verboseJson = true;
  settings.language = "";
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "");
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "book a table.");
  EXPECT_EQ(out.result->language, "en");
  EXPECT_NEAR(out.result->confidence, std::exp((-0.1 * 1 + -0.4 * 2) / 3), 1e-9);
  EXPECT_EQ(server.requests()[0].formField("response_format"), "verbose_json");
  EXPECT_FALSE(server.requests()[0].hasFormField("language"));
}

TEST_F(OpenAiTranscriptionTest, WhisperCppErrorsWithStatus200AreErrors) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return json200(R"({"error":"failed to read WAV file"})"); });
  auto settings = settingsFor(server);
  settings.provider = "whisper.cpp";
  settings.path = "/inference";
  settings.model = "";
  settings.apiKey = "";
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "whisper.cpp transcription: the server reported an error: failed to read WAV file");
  EXPECT_EQ(out.finals, 1);
  EXPECT_EQ(server.requests()[0].requestLine(), "POST /v1/inference HTTP/1.1");
  EXPECT_FALSE(server.requests()[0].hasFormField("model"));
  EXPECT_EQ(server.requests()[0].header("authorization"), "");
  EXPECT_TRUE(usage_.empty());
}

TEST_F(OpenAiTranscriptionTest, StreamingDeltasAreInterimsAndDoneIsFinal) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{chunkedHead("text/event-stream") +
                           httpChunk(sseEvent(R"({"type":"transcript.text.delta","delta":"Hello","logprobs":null})"))},
                          {httpChunk(sseEvent(R"({"type":"transcript.text.delta","delta":" world","logprobs":null})")),
                           milliseconds(20)},
                          {httpChunk(sseEvent(R"({"type":"transcript.text.done","text":"Hello world.","usage":{}})")),
                           milliseconds(20)}},
                         AfterReply::kHold};  // no [DONE], no end: done is terminal
  });
  auto settings = settingsFor(server);
  settings.stream = true;
  settings.model = "gpt-4o-mini-transcribe";
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.interims, (std::vector<std::string>{"hello", "hello world"}));
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "hello world.");
  EXPECT_EQ(server.requests()[0].formField("stream"), "true");
  EXPECT_EQ(server.requests()[0].header("accept"), "text/event-stream");
}

// speaches may send an empty done text (its generator is already consumed).
TEST_F(OpenAiTranscriptionTest, AnEmptyDoneTextFallsBackToTheDeltas) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{chunkedHead("text/event-stream") +
          httpChunk(sseEvent(R"({"type":"transcript.text.delta","delta":" Two segments","logprobs":null})") +
                    sseEvent(R"({"type":"transcript.text.delta","delta":" here.","logprobs":null})") +
                    sseEvent(R"({"type":"transcript.text.done","text":""})")) +
          std::string(kLastChunk)}}};
  });
  auto settings = settingsFor(server);
  settings.stream = true;
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "");
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "two segments here.");
}

TEST_F(OpenAiTranscriptionTest, UnauthorizedNamesTheStatusAndNeverTheKey) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{httpResponse(
        401, "Unauthorized", "application/json",
        R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})")}}};
  });
  auto stt = service(settingsFor(server));
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "openai transcription: HTTP 401: Incorrect API key provided.");
  EXPECT_EQ(out.error.find(kKey), std::string::npos);
}

TEST_F(OpenAiTranscriptionTest, AKeyTheServerEchoesIsRedacted) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{httpResponse(403, "Forbidden", "application/json",
                                        std::string(R"({"detail":"key )") + kKey + R"( is not allowed"})")}}};
  });
  auto stt = service(settingsFor(server));
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "openai transcription: HTTP 403: key [redacted] is not allowed");
}

TEST_F(OpenAiTranscriptionTest, RateLimitSaysWhenToRetry) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{httpResponse(429, "Too Many Requests", "application/json",
                       R"({"error":{"message":"Rate limit reached","type":"requests","param":null,"code":null}})",
                       "Retry-After: 2\r\n")}}};
  });
  auto stt = service(settingsFor(server));
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "openai transcription: HTTP 429 (retry after 2 s): Rate limit reached");
}

TEST_F(OpenAiTranscriptionTest, ServerErrorWithFastApiDetail) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{httpResponse(500, "Internal Server Error", "application/json", R"({"detail":"Model not loaded"})")}}};
  });
  auto settings = settingsFor(server);
  settings.provider = "speaches";
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "speaches transcription: HTTP 500: Model not loaded");
}

TEST_F(OpenAiTranscriptionTest, AStalledStreamTimesOutKeepingWhatWasHeard) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{chunkedHead("text/event-stream") + httpChunk(sseEvent(R"({"type":"transcript.text.delta","delta":"Hel"})"))}},
        AfterReply::kHold};
  });
  auto settings = settingsFor(server);
  settings.stream = true;
  settings.idleTimeout = milliseconds(200);
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "openai transcription: timeout: no data for 200 ms");
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "hel");
}

TEST_F(OpenAiTranscriptionTest, ACutConnectionIsAnError) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{
        {{chunkedHead("text/event-stream") + httpChunk(sseEvent(R"({"type":"transcript.text.delta","delta":"Hel"})"))}},
        AfterReply::kClose};
  });
  auto settings = settingsFor(server);
  settings.stream = true;
  auto stt = service(settings);
  auto out = transcribe(*stt);
  EXPECT_EQ(out.error, "openai transcription: read: the connection closed before the response ended");
}

TEST_F(OpenAiTranscriptionTest, MalformedAnswersAreErrors) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return json200("<html>oops</html>"); });
  auto stt = service(settingsFor(server));
  EXPECT_EQ(transcribe(*stt).error, "openai transcription: malformed response: not a JSON object");

  HttpTestServer events(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{chunkedHead("text/event-stream") + httpChunk(sseEvent("{not json"))}}, AfterReply::kHold};
  });
  auto settings = settingsFor(events);
  settings.stream = true;
  auto streaming = service(settings);
  EXPECT_EQ(transcribe(*streaming).error, "openai transcription: malformed event: not a JSON object");
}

TEST_F(OpenAiTranscriptionTest, CancelDropsTheUtteranceAndItsFinal) {
  HttpTestServer server(io_, [](const ReceivedRequest&) {
    return ScriptedReply{{{json200(R"({"text":"late"})").steps[0].bytes, milliseconds(150)}}};
  });
  auto stt = service(settingsFor(server));
  std::vector<int16_t> frame(320, 100);
  stt->push(frame);
  int finals = 0;
  stt->finish({nullptr, [&](SttResult, const std::string&) { ++finals; }});
  io_.run_for(milliseconds(50));
  stt->cancel();
  io_.run_for(milliseconds(400));
  EXPECT_EQ(finals, 0);
  EXPECT_TRUE(usage_.empty());
}

TEST_F(OpenAiTranscriptionTest, AnEmptyUtteranceNeedsNoRequest) {
  HttpTestServer server(io_, [](const ReceivedRequest&) { return json200(R"({"text":"x"})"); });
  auto stt = service(settingsFor(server));
  auto out = transcribe(*stt, 0);
  EXPECT_EQ(out.error, "");
  ASSERT_TRUE(out.result);
  EXPECT_EQ(out.result->text, "");
  EXPECT_TRUE(server.requests().empty());
}

TEST(Iso639Test, PrimarySubtag) {
  EXPECT_EQ(iso639_1("en-US"), "en");
  EXPECT_EQ(iso639_1("hi-IN"), "hi");
  EXPECT_EQ(iso639_1("FR"), "fr");
  EXPECT_EQ(iso639_1("fil-PH"), "");
  EXPECT_EQ(iso639_1(""), "");
}

}  // namespace
}  // namespace convox::voice
