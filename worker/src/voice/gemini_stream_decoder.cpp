#include "voice/gemini_stream_decoder.hpp"

#include "voice/chat_tools.hpp"
#include "voice/json_fields.hpp"
#include "voice/text_clip.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

namespace {

// {"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[{RetryInfo "retryDelay":"7s"}]}
// -> "RESOURCE_EXHAUSTED: ... (retry in 7s)".
std::string describe(const json::value& error) {
  const auto* o = error.if_object();
  if (!o || stringAt(*o, "message").empty()) return clipText(json::serialize(error));
  std::string text(stringAt(*o, "message"));
  if (auto status = stringAt(*o, "status"); !status.empty()) text = std::string(status) + ": " + text;
  text = clipText(text);
  if (const auto* details = o->if_contains("details"); details && details->is_array()) {
    for (const auto& d : details->get_array()) {
      const auto* detail = d.if_object();
      if (!detail) continue;
      if (auto delay = stringAt(*detail, "retryDelay"); !delay.empty() && delay.size() < 16) {
        text += " (retry in " + std::string(delay) + ")";
      }
    }
  }
  return text;
}

// Success is STOP or MAX_TOKENS; SAFETY, RECITATION, MALFORMED_FUNCTION_CALL
// and the rest mean the reply was withheld or broken.
bool finishedWell(std::string_view reason) { return reason == "STOP" || reason == "MAX_TOKENS"; }

}  // namespace

bool GeminiStreamDecoder::onData(std::string_view data, const TextSink& onText, std::string& error) {
  boost::system::error_code ec;
  const auto value = json::parse(data, ec);
  if (ec || !value.is_object()) {
    error = "a stream event is not a JSON object";
    return false;
  }
  const auto& response = value.get_object();
  if (const auto* e = response.if_contains("error")) {
    error = "the server reported an error mid-stream: " + describe(*e);
    return false;
  }
  if (auto m = stringAt(response, "modelVersion"); !m.empty()) model_ = m;
  if (const auto* usage = objectAt(response, "usageMetadata")) {
    promptTokens_ = intAt(*usage, "promptTokenCount");
    outputTokens_ = intAt(*usage, "candidatesTokenCount") + intAt(*usage, "thoughtsTokenCount");
  }
  if (const auto* feedback = objectAt(response, "promptFeedback")) {
    if (auto blocked = stringAt(*feedback, "blockReason"); !blocked.empty()) {
      error = "the prompt was blocked: " + std::string(blocked);
      return false;
    }
  }
  const auto* candidates = response.if_contains("candidates");
  if (!candidates || !candidates->is_array() || candidates->get_array().empty()) return true;
  const auto* candidate = candidates->get_array()[0].if_object();
  if (!candidate) return true;
  if (const auto* content = objectAt(*candidate, "content")) {
    const auto* partsValue = content->if_contains("parts");
    static const json::array kNoParts;
    const auto* parts = partsValue ? partsValue->if_array() : nullptr;
    for (const auto& p : parts ? *parts : kNoParts) {
      const auto* part = p.if_object();
      if (!part) continue;
      if (const auto* call = objectAt(*part, "functionCall")) {
        Call c{std::string(stringAt(*call, "id")), std::string(stringAt(*call, "name")), {}};
        if (const auto* args = call->if_contains("args")) {
          if (!args->is_object()) {
            error = "functionCall " + c.name + ": the args are not a JSON object";
            return false;
          }
          c.args = args->get_object();
        }
        if (!budget_.take(c.name.size() + json::serialize(c.args).size(), error)) return false;
        calls_.push_back(std::move(c));
        continue;
      }
      if (const auto* thought = part->if_contains("thought"); thought && thought->is_bool() && thought->get_bool()) {
        continue;  // a thought summary: not for speech
      }
      const auto text = stringAt(*part, "text");
      if (text.empty()) continue;
      if (!budget_.take(text.size(), error)) return false;
      if (onText) onText(text);
    }
  }
  if (auto reason = stringAt(*candidate, "finishReason"); !reason.empty()) {
    finishReason_ = reason;
    if (!finishedWell(reason)) {
      error = "the reply stopped with finishReason " + std::string(reason);
      return false;
    }
  }
  return true;
}

std::string GeminiStreamDecoder::endedWithoutDone() const {
  return finishReason_.empty() ? "the stream ended before a finishReason" : "";
}

bool GeminiStreamDecoder::actions(std::vector<ModelAction>& out, std::string& error) const {
  for (size_t i = 0; i < calls_.size(); ++i) {
    if (calls_[i].name.empty()) {
      error = "functionCall " + std::to_string(i) + " has no name";
      return false;
    }
  }
  for (const auto& c : calls_) out.push_back(actionFromToolCall(c.name, c.args, c.id));
  return true;
}

void GeminiStreamDecoder::addUsage(ModelUsage& usage) const {
  usage.inputTokens = promptTokens_;
  usage.outputTokens = outputTokens_;
  if (!model_.empty()) usage.model = model_;
}

std::string GeminiStreamDecoder::errorFromBody(std::string_view body) const {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (!ec) {
    // The streaming method may wrap its error in an array.
    const json::value* v = &value;
    if (value.is_array() && !value.get_array().empty()) v = &value.get_array()[0];
    if (const auto* o = v->if_object()) {
      if (const auto* e = o->if_contains("error")) return describe(*e);
    }
  }
  return clipText(body);
}

}  // namespace convox::voice
