#pragma once

// Sarvam's error object, {"message", "code", "request_id"} (a REST answer's
// "error", a socket's error message's "data"), as one line for an error
// text: "Invalid API key (invalid_api_key_error)".

#include "voice/json_fields.hpp"
#include "voice/text_clip.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace convox::voice {

inline std::string sarvamErrorText(const boost::json::object& error) {
  std::string text = clipText(stringAt(error, "message"));
  std::string code = clipText(stringAt(error, "code"), 60);
  if (text.empty() && code.empty()) return clipText(boost::json::serialize(error));
  if (text.empty()) return code;
  if (!code.empty()) text += " (" + code + ")";
  return text;
}

// The same from a body {"error": {...}}; "" when the body is not one.
inline std::string sarvamErrorFromBody(std::string_view body) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(body, ec);
  const auto* o = ec ? nullptr : value.if_object();
  const auto* error = o ? objectAt(*o, "error") : nullptr;
  return error ? sarvamErrorText(*error) : std::string();
}

}  // namespace convox::voice
