#include "rtc/ice_candidate_init.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace convox::rtc {

std::optional<IceCandidateInit> parseIceCandidateInit(std::string_view json) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.as_object();
  const auto* candidate = object.if_contains("candidate");
  if (!candidate || !candidate->is_string()) return std::nullopt;
  IceCandidateInit init;
  init.candidate = std::string(candidate->as_string());
  if (const auto* mid = object.if_contains("sdpMid"); mid && mid->is_string()) init.sdpMid = mid->as_string();
  if (const auto* index = object.if_contains("sdpMLineIndex")) {
    if (index->is_int64() && index->as_int64() >= 0 && index->as_int64() <= 0xffff) {
      init.sdpMLineIndex = static_cast<unsigned>(index->as_int64());
    } else if (index->is_uint64() && index->as_uint64() <= 0xffff) {
      init.sdpMLineIndex = static_cast<unsigned>(index->as_uint64());
    }
  }
  if (const auto* ufrag = object.if_contains("usernameFragment"); ufrag && ufrag->is_string()) {
    init.usernameFragment = ufrag->as_string();
  }
  return init;
}

std::string writeIceCandidateInit(const IceCandidateInit& init) {
  boost::json::object object{{"candidate", init.candidate}, {"sdpMid", init.sdpMid}};
  object["sdpMLineIndex"] = init.sdpMLineIndex ? boost::json::value(*init.sdpMLineIndex) : boost::json::value(nullptr);
  if (!init.usernameFragment.empty()) object["usernameFragment"] = init.usernameFragment;
  return boost::json::serialize(object);
}

}  // namespace convox::rtc
