#include "job_token.hpp"

#include "common/access_token.hpp"

namespace convox::dispatcher {

std::string mintJobToken(const JobTokenInput& in) {
  common::ClaimGrants grants;
  grants.identity = in.response.participant_identity();
  grants.name = in.response.participant_name();
  grants.metadata = in.response.participant_metadata();
  grants.kind = "agent";
  for (const auto& [k, v] : in.response.participant_attributes()) grants.attributes[k] = v;
  grants.attributes["lk.agent_name"] = std::string(in.workerAgentName);

  common::VideoGrant video;
  video.roomJoin = true;
  video.room = in.job.room().name();
  video.agent = true;
  video.hidden = in.permissions.hidden();
  video.canSubscribeMetrics = in.permissions.can_subscribe_metrics();
  video.canPublish = in.permissions.can_publish();
  video.canSubscribe = in.permissions.can_subscribe();
  video.canPublishData = in.permissions.can_publish_data();
  video.canUpdateOwnMetadata = in.permissions.can_update_metadata();
  grants.video = std::move(video);

  return common::signAccessToken(grants, in.apiKey, in.secret, in.nowSeconds, kJobTokenTtlSeconds);
}

}  // namespace convox::dispatcher
