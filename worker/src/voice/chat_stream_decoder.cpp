#include "voice/chat_stream_decoder.hpp"

#include "voice/chat_tools.hpp"
#include "voice/json_fields.hpp"
#include "voice/text_clip.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace convox::voice {

namespace json = boost::json;

namespace {

void readTokens(const json::object& usage, int64_t& prompt, int64_t& completion) {
  prompt = intAt(usage, "prompt_tokens", prompt);
  completion = intAt(usage, "completion_tokens", completion);
}

std::string messageOf(const json::value& error) {
  if (error.is_string()) return clipText(error.get_string());
  if (const auto* o = error.if_object()) {
    if (auto m = stringAt(*o, "message"); !m.empty()) return clipText(m);
  }
  return clipText(json::serialize(error));
}

}  // namespace

bool ChatStreamDecoder::onData(std::string_view data, const TextSink& onText, std::string& error) {
  if (data == "[DONE]") {
    done_ = true;
    return true;
  }
  boost::system::error_code ec;
  const auto value = json::parse(data, ec);
  if (ec || !value.is_object()) {
    error = "a stream event is not a JSON object";
    return false;
  }
  const auto& chunk = value.get_object();
  if (const auto* e = chunk.if_contains("error")) {
    error = "the server reported an error mid-stream: " + messageOf(*e);
    return false;
  }
  if (auto m = stringAt(chunk, "model"); !m.empty()) model_ = m;
  if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) {
    sawUsage_ = true;
    readTokens(u->get_object(), promptTokens_, completionTokens_);
  }
  // Groq without include_usage: the finish chunk's x_groq.usage.
  if (const auto* x = chunk.if_contains("x_groq"); x && x->is_object()) {
    if (const auto* u = x->get_object().if_contains("usage"); u && u->is_object()) {
      readTokens(u->get_object(), groqPromptTokens_, groqCompletionTokens_);
    }
  }
  const auto* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return true;  // the usage chunk
  const auto* choice = choices->get_array()[0].if_object();
  if (!choice) return true;
  if (auto f = stringAt(*choice, "finish_reason"); !f.empty()) finishReason_ = f;
  const auto* deltaValue = choice->if_contains("delta");
  const auto* delta = deltaValue ? deltaValue->if_object() : nullptr;
  if (!delta) return true;
  if (auto text = stringAt(*delta, "content"); !text.empty()) {
    if (!budget_.take(text.size(), error)) return false;
    if (onText) onText(text);
  }
  const auto* tools = delta->if_contains("tool_calls");
  if (!tools || !tools->is_array()) return true;
  for (const auto& t : tools->get_array()) {
    const auto* call = t.if_object();
    if (!call) continue;
    const auto* index = call->if_contains("index");
    auto& assembled = calls_[index && index->is_int64() ? index->as_int64() : 0];
    if (auto id = stringAt(*call, "id"); !id.empty()) assembled.id = id;
    const auto* fnValue = call->if_contains("function");
    const auto* fn = fnValue ? fnValue->if_object() : nullptr;
    if (!fn) continue;
    const auto args = stringAt(*fn, "arguments");
    size_t bytes = args.size();
    if (auto name = stringAt(*fn, "name"); !name.empty()) {
      // Some servers repeat the name on every delta: it is output once.
      if (assembled.name.empty()) bytes += name.size();
      assembled.name = name;
    }
    if (!budget_.take(bytes, error)) return false;
    assembled.arguments.append(args);
  }
  return true;
}

bool ChatStreamDecoder::actions(std::vector<ModelAction>& out, std::string& error) const {
  for (const auto& [index, call] : calls_) {
    if (!appendStreamedToolCall("tool call", index, call.name, call.arguments, call.id, out, error)) {
      return false;
    }
  }
  return true;
}

void ChatStreamDecoder::addUsage(ModelUsage& usage) const {
  usage.inputTokens = promptTokens();
  usage.outputTokens = completionTokens();
  if (!model_.empty()) usage.model = model_;
}

std::string ChatStreamDecoder::errorFromBody(std::string_view body) const { return errorMessageFromBody(body); }

std::string errorMessageFromBody(std::string_view body) {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (!ec && value.is_object()) {
    const auto& o = value.get_object();
    if (const auto* e = o.if_contains("error")) return messageOf(*e);
    if (const auto* d = o.if_contains("detail")) return messageOf(*d);
  }
  return clipText(body);
}

}  // namespace convox::voice
