#include "common/twirp.hpp"

#include "proto/livekit_room.pb.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

using namespace convox::common;

namespace {

HttpRequest post(const std::string& target, std::string body, const std::string& type = "application/json") {
  HttpRequest req{http::verb::post, target, 11};
  req.set(http::field::content_type, type);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

TwirpAuthenticator allowAll() {
  return [](const HttpRequest&) -> boost::system::result<ClaimGrants, TwirpError> { return ClaimGrants{}; };
}

TwirpService echoService(TwirpAuthenticator auth = allowAll()) {
  TwirpService svc("livekit.RoomService", std::move(auth));
  svc.method<livekit::CreateRoomRequest, livekit::Room>(
      "CreateRoom",
      [](const livekit::CreateRoomRequest& req,
         const ClaimGrants&) -> boost::system::result<livekit::Room, TwirpError> {
        if (req.name() == "forbidden") return TwirpError::permissionDenied("no");
        livekit::Room room;
        room.set_name(req.name());
        room.set_max_participants(req.max_participants());
        return room;
      });
  return svc;
}

boost::json::object json(const HttpResponse& res) { return boost::json::parse(res.body()).as_object(); }

}  // namespace

TEST(Twirp, ErrorCodesMapToTheSpecifiedStatus) {
  EXPECT_EQ(twirpStatus("unauthenticated"), http::status::unauthorized);
  EXPECT_EQ(twirpStatus("permission_denied"), http::status::forbidden);
  EXPECT_EQ(twirpStatus("not_found"), http::status::not_found);
  EXPECT_EQ(twirpStatus("bad_route"), http::status::not_found);
  EXPECT_EQ(twirpStatus("invalid_argument"), http::status::bad_request);
  EXPECT_EQ(twirpStatus("malformed"), http::status::bad_request);
  EXPECT_EQ(twirpStatus("already_exists"), http::status::conflict);
  EXPECT_EQ(twirpStatus("resource_exhausted"), http::status::too_many_requests);
  EXPECT_EQ(twirpStatus("unimplemented"), http::status::not_implemented);
  EXPECT_EQ(twirpStatus("unavailable"), http::status::service_unavailable);
  EXPECT_EQ(twirpStatus("internal"), http::status::internal_server_error);
  EXPECT_EQ(twirpStatus("no-such-code"), http::status::internal_server_error);
}

TEST(Twirp, ErrorBodyHasCodeMsgAndExactContentType) {
  const auto res = twirpErrorResponse(post("/x", ""), {"not_found", "room r does not exist", {{"room", "r"}}});
  EXPECT_EQ(res.result(), http::status::not_found);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  const auto body = json(res);
  EXPECT_EQ(body.at("code").as_string(), "not_found");
  EXPECT_EQ(body.at("msg").as_string(), "room r does not exist");
  EXPECT_EQ(body.at("meta").at("room").as_string(), "r");
}

TEST(Twirp, JsonInCamelOrSnakeCaseJsonOutSnakeCaseWithDefaults) {
  const auto svc = echoService();
  for (const char* body :
       {R"({"name":"a","maxParticipants":4})", R"({"name":"a","max_participants":4,"unknownField":1})"}) {
    const auto res = svc.handle(post("/twirp/livekit.RoomService/CreateRoom", body));
    ASSERT_EQ(res.result(), http::status::ok) << res.body();
    const auto out = json(res);
    EXPECT_EQ(out.at("name").as_string(), "a");
    EXPECT_EQ(out.at("max_participants").as_int64(), 4);
    EXPECT_TRUE(out.contains("empty_timeout"));  // defaults are written
  }
}

TEST(Twirp, ProtobufInProtobufOut) {
  const auto svc = echoService();
  livekit::CreateRoomRequest req;
  req.set_name("p");
  const auto res =
      svc.handle(post("/twirp/livekit.RoomService/CreateRoom", req.SerializeAsString(), "application/protobuf"));
  ASSERT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/protobuf");
  livekit::Room room;
  ASSERT_TRUE(room.ParseFromString(res.body()));
  EXPECT_EQ(room.name(), "p");
}

TEST(Twirp, BadRequestsGetTheRightCode) {
  const auto svc = echoService();
  auto code = [&](const HttpRequest& req) { return std::string(json(svc.handle(req)).at("code").as_string()); };
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/CreateRoom", "{not json")), "malformed");
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/CreateRoom", R"({"name":7})")), "malformed");
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/CreateRoom", "\xff\xff\xff\xff\x0f", "application/protobuf")),
            "malformed");
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/CreateRoom", "{}", "text/plain")), "bad_route");
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/Nope", "{}")), "bad_route");
  EXPECT_EQ(code(post("/twirp/livekit.RoomService/CreateRoom", R"({"name":"forbidden"})")), "permission_denied");
  HttpRequest get{http::verb::get, "/twirp/livekit.RoomService/CreateRoom", 11};
  EXPECT_EQ(code(get), "bad_route");
}

TEST(Twirp, AuthenticationRunsBeforeTheMethod) {
  bool called = false;
  TwirpService svc("livekit.RoomService", [](const HttpRequest&) -> boost::system::result<ClaimGrants, TwirpError> {
    return TwirpError::unauthenticated("missing token");
  });
  svc.method<livekit::CreateRoomRequest, livekit::Room>(
      "CreateRoom",
      [&](const livekit::CreateRoomRequest&, const ClaimGrants&) -> boost::system::result<livekit::Room, TwirpError> {
        called = true;
        return livekit::Room{};
      });
  const auto res = svc.handle(post("/twirp/livekit.RoomService/CreateRoom", "{}"));
  EXPECT_EQ(res.result(), http::status::unauthorized);
  EXPECT_FALSE(called);
}

TEST(Twirp, TokenAuthenticatorReadsTheBearerHeader) {
  auto auth = tokenAuthenticator(
      [](std::string_view k) -> std::optional<std::string> {
        if (k == "devkey") return std::string("secret");
        return std::nullopt;
      },
      [] { return int64_t{1'800'000'000}; });
  ClaimGrants g;
  g.video = VideoGrant{};
  g.video->roomList = true;
  auto req = post("/x", "{}");
  EXPECT_FALSE(auth(req).has_value());
  req.set(http::field::authorization, "Bearer " + signAccessToken(g, "devkey", "secret", 1'800'000'000, 600));
  auto ok = auth(req);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->video->roomList);
  req.set(http::field::authorization, "Bearer " + signAccessToken(g, "devkey", "secret", 1'700'000'000, 600));
  auto expired = auth(req);
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code, "unauthenticated");
  EXPECT_NE(expired.error().msg.find("expired"), std::string::npos);
}
