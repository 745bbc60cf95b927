#pragma once

// What a job's metadata tells the worker. POST /v1/calls dispatches with
// {team_id, conversation_id, trace_id, agent, parameters, ...}; a dispatch
// from LiveKit's own API may carry anything, or nothing: then the job runs
// with the default agent and posts nothing to the control API.

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace convox::worker {

struct JobMetadata {
  std::string conversationId;  // empty: not a Convox call
  std::string teamId;
  std::string traceId;
  boost::json::object agent;       // the agent document (effective configuration)
  boost::json::object parameters;  // call parameters, for {{placeholders}}
  std::string direction;           // inbound (default) | outbound: picks the first message
};

// Empty metadata, or JSON that is not ours (no conversation_id), is a plain
// job; metadata that claims to be ours but is malformed is an error with
// the reason, and the job is declined.
boost::system::result<JobMetadata, std::string> parseJobMetadata(std::string_view metadata);

}  // namespace convox::worker
