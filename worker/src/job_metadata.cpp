#include "job_metadata.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>

namespace convox::worker {

namespace {

bool optionalString(const boost::json::object& o, std::string_view key, std::string& out, std::string& error) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return true;
  if (!v->is_string()) {
    error = "job metadata: " + std::string(key) + " must be a string";
    return false;
  }
  out = v->as_string();
  return true;
}

using Parsed = boost::system::result<JobMetadata, std::string>;

Parsed refuse(std::string reason) { return Parsed(boost::system::in_place_error, std::move(reason)); }

}  // namespace

boost::system::result<JobMetadata, std::string> parseJobMetadata(std::string_view metadata) {
  JobMetadata out;
  if (metadata.empty()) return out;
  boost::system::error_code ec;
  const auto value = boost::json::parse(metadata, ec);
  // Metadata that is not a JSON object is someone else's: a plain job.
  if (ec || !value.is_object()) return out;
  const auto& o = value.as_object();
  if (!o.contains("conversation_id")) return out;
  std::string error;
  if (!optionalString(o, "conversation_id", out.conversationId, error) ||
      !optionalString(o, "team_id", out.teamId, error) || !optionalString(o, "trace_id", out.traceId, error) ||
      !optionalString(o, "direction", out.direction, error)) {
    return refuse(error);
  }
  if (out.conversationId.empty()) return refuse("job metadata: conversation_id is empty");
  // It becomes a path segment of the worker's control API calls.
  const bool plain = out.conversationId.size() <= 64 &&
                     std::all_of(out.conversationId.begin(), out.conversationId.end(),
                                 [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
  if (!plain) return refuse("job metadata: conversation_id may hold only letters, digits, '_' and '-'");
  if (const auto* agent = o.if_contains("agent")) {
    if (!agent->is_object()) return refuse("job metadata: agent must be an object");
    out.agent = agent->as_object();
  }
  if (const auto* parameters = o.if_contains("parameters"); parameters && !parameters->is_null()) {
    if (parameters->is_object()) {
      out.parameters = parameters->as_object();
    } else if (parameters->is_array()) {
      // The seed's [{name, value}] form.
      for (const auto& item : parameters->as_array()) {
        const auto* p = item.if_object();
        const auto* name = p ? p->if_contains("name") : nullptr;
        if (!name || !name->is_string()) return refuse("job metadata: parameters[] needs a string name");
        out.parameters[name->as_string()] = p->contains("value") ? p->at("value") : boost::json::value();
      }
    } else {
      return refuse("job metadata: parameters must be an object or a list");
    }
  }
  return out;
}

}  // namespace convox::worker
