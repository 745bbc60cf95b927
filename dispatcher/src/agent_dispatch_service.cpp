#include "dispatcher/agent_dispatch_service.hpp"

namespace convox::dispatcher {

namespace {

using common::ClaimGrants;
using common::TwirpError;
template <typename T>
using Result = boost::system::result<T, TwirpError>;

// LiveKit answers every authorisation failure here with `unauthenticated`.
std::optional<TwirpError> requireRoomAdmin(const ClaimGrants& g, const std::string& room) {
  if (room.empty()) return TwirpError::invalidArgument("room is required");
  if (auto denied = common::checkRoomAdmin(g, room); !denied.empty()) return TwirpError::unauthenticated(denied);
  return std::nullopt;
}

TwirpError toTwirp(const DispatchError& e) {
  return e.code == DispatchError::Code::NotFound ? TwirpError::notFound(e.message)
                                                 : TwirpError::invalidArgument(e.message);
}

}  // namespace

AgentDispatchService::AgentDispatchService(Dispatcher& dispatcher, common::TwirpAuthenticator authenticate)
    : twirp_("livekit.AgentDispatchService", std::move(authenticate)) {
  twirp_.method<livekit::CreateAgentDispatchRequest, livekit::AgentDispatch>(
      "CreateDispatch",
      [&dispatcher](const livekit::CreateAgentDispatchRequest& req,
                    const ClaimGrants& g) -> Result<livekit::AgentDispatch> {
        if (auto err = requireRoomAdmin(g, req.room())) return *err;
        auto created = dispatcher.createDispatch(req);
        if (!created) return toTwirp(created.error());
        return std::move(*created);
      });
  twirp_.method<livekit::DeleteAgentDispatchRequest, livekit::AgentDispatch>(
      "DeleteDispatch",
      [&dispatcher](const livekit::DeleteAgentDispatchRequest& req,
                    const ClaimGrants& g) -> Result<livekit::AgentDispatch> {
        if (auto err = requireRoomAdmin(g, req.room())) return *err;
        if (req.dispatch_id().empty()) return TwirpError::invalidArgument("dispatch_id is required");
        auto deleted = dispatcher.deleteDispatch(req.room(), req.dispatch_id());
        if (!deleted) return toTwirp(deleted.error());
        return std::move(*deleted);
      });
  twirp_.method<livekit::ListAgentDispatchRequest, livekit::ListAgentDispatchResponse>(
      "ListDispatch",
      [&dispatcher](const livekit::ListAgentDispatchRequest& req,
                    const ClaimGrants& g) -> Result<livekit::ListAgentDispatchResponse> {
        if (auto err = requireRoomAdmin(g, req.room())) return *err;
        auto list = dispatcher.listDispatches(req.room(), req.dispatch_id());
        if (!list) return toTwirp(list.error());
        livekit::ListAgentDispatchResponse res;
        for (auto& d : *list) *res.add_agent_dispatches() = std::move(d);
        return res;
      });
}

}  // namespace convox::dispatcher
