#pragma once

// A team with a key and the /v1 handlers over the store under test (both
// backends, see store_fixture.hpp), for tests that go through the routes.

#include "control_api/control_api.hpp"
#include "store_fixture.hpp"

#include <boost/json.hpp>

#include <string>

namespace convox::control_api::testing {

class ApiTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    teamId_ = repo().createTeam("priced");
    key_ = repo().createApiKey(teamId_, "test").secret;
    otherTeam_ = repo().createTeam("other");
    otherKey_ = repo().createApiKey(otherTeam_, "test").secret;
    api_ = std::make_unique<ControlApi>(repo(), CallSettings{});
  }
  void TearDown() override {
    api_.reset();
    StoreTest::TearDown();
  }

  common::HttpResponse send(common::http::verb method, const std::string& target,
                            std::optional<std::string> body = std::nullopt, const std::string& key = "") {
    common::HttpRequest req{method, target, 11};
    req.set(common::http::field::authorization, "Bearer " + (key.empty() ? key_ : key));
    if (body) {
      req.set(common::http::field::content_type, "application/json");
      req.body() = *body;
      req.prepare_payload();
    }
    return api_->handle(req);
  }
  static boost::json::value bodyOf(const common::HttpResponse& res) { return boost::json::parse(res.body()); }
  static bool namesField(const common::HttpResponse& res, const std::string& field, const std::string& code) {
    const auto body = bodyOf(res);
    for (const auto& d : body.at("error").at("details").as_array()) {
      if (d.at("field").as_string() == field && d.at("code").as_string() == code) return true;
    }
    return false;
  }
  // A conversation stored directly (its times matter to the analytics).
  void conversation(const std::string& team, const std::string& id, const std::string& agentId, int64_t createdAt) {
    ConversationRecord c;
    c.id = id;
    c.agentId = agentId;
    c.status = "created";
    c.traceId = "trace-" + id;
    c.room = "call_" + id;
    c.createdAt = createdAt;
    repo().createConversation(team, c);
  }

  std::string teamId_, key_, otherTeam_, otherKey_;
  std::unique_ptr<ControlApi> api_;
};

}  // namespace convox::control_api::testing
