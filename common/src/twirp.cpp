#include "common/twirp.hpp"

#include "common/logging.hpp"

#include <google/protobuf/util/json_util.h>
#include <boost/json/serialize.hpp>

namespace convox::common {

namespace {

bool isJsonContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  return ct == "application/json";
}

bool isProtobufContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  return ct == "application/protobuf";
}

}  // namespace

http::status twirpStatus(std::string_view code) {
  static const std::map<std::string_view, http::status> kStatus{
      {"canceled", http::status::request_timeout},
      {"invalid_argument", http::status::bad_request},
      {"malformed", http::status::bad_request},
      {"deadline_exceeded", http::status::request_timeout},
      {"not_found", http::status::not_found},
      {"bad_route", http::status::not_found},
      {"already_exists", http::status::conflict},
      {"permission_denied", http::status::forbidden},
      {"unauthenticated", http::status::unauthorized},
      {"resource_exhausted", http::status::too_many_requests},
      {"failed_precondition", http::status::precondition_failed},
      {"aborted", http::status::conflict},
      {"out_of_range", http::status::bad_request},
      {"unimplemented", http::status::not_implemented},
      {"internal", http::status::internal_server_error},
      {"unavailable", http::status::service_unavailable},
      {"dataloss", http::status::internal_server_error},
      {"unknown", http::status::internal_server_error},
  };
  auto it = kStatus.find(code);
  return it == kStatus.end() ? http::status::internal_server_error : it->second;
}

HttpResponse twirpErrorResponse(const HttpRequest& req, const TwirpError& error) {
  boost::json::object body{{"code", error.code}, {"msg", error.msg}};
  if (!error.meta.empty()) {
    boost::json::object meta;
    for (const auto& [k, v] : error.meta) meta[k] = v;
    body["meta"] = std::move(meta);
  }
  // livekit-server-sdk compares the content type to exactly this string.
  return makeResponse(req, twirpStatus(error.code), boost::json::serialize(body), "application/json");
}

TwirpAuthenticator tokenAuthenticator(SecretLookup secrets, std::function<int64_t()> nowSeconds) {
  return [secrets = std::move(secrets),
          now = std::move(nowSeconds)](const HttpRequest& req) -> boost::system::result<ClaimGrants, TwirpError> {
    const auto token = bearerToken(req[http::field::authorization]);
    if (token.empty()) return TwirpError::unauthenticated("missing Authorization: Bearer <token>");
    auto grants = verifyAccessToken(token, secrets, now());
    if (!grants) return TwirpError::unauthenticated(grants.error().message);
    return std::move(*grants);
  };
}

TwirpService::TwirpService(std::string fullName, TwirpAuthenticator authenticate)
    : prefix_("/twirp/" + fullName + "/"), authenticate_(std::move(authenticate)) {}

void TwirpService::mount(HttpRouter& router) const {
  router.prefix(prefix_, [this](const HttpRequest& req) { return handle(req); });
}

std::optional<TwirpError> TwirpService::decode(const std::string& body, bool json, google::protobuf::Message& out) {
  if (json) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto status = google::protobuf::util::JsonStringToMessage(body.empty() ? "{}" : body, &out, options);
    if (!status.ok()) {
      return TwirpError{"malformed", "the json request could not be decoded: " + std::string(status.message()), {}};
    }
    return std::nullopt;
  }
  if (!out.ParseFromString(body)) {
    return TwirpError{"malformed", "the protobuf request could not be decoded", {}};
  }
  return std::nullopt;
}

HttpResponse TwirpService::handle(const HttpRequest& req) const {
  const std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  const auto methodName = path.substr(prefix_.size());
  if (req.method() != http::verb::post) {
    return twirpErrorResponse(
        req, {"bad_route", "unsupported method " + std::string(req.method_string()) + " (only POST is allowed)", {}});
  }
  auto it = methods_.find(methodName);
  if (it == methods_.end()) {
    return twirpErrorResponse(req, {"bad_route", "no handler for path " + std::string(path), {}});
  }
  const auto contentType = req[http::field::content_type];
  const bool json = isJsonContentType(contentType);
  if (!json && !isProtobufContentType(contentType)) {
    return twirpErrorResponse(req, {"bad_route", "unexpected Content-Type: '" + std::string(contentType) + "'", {}});
  }
  auto grants = authenticate_(req);
  if (!grants) return twirpErrorResponse(req, grants.error());

  auto outcome = it->second(req.body(), json, *grants);
  if (auto* error = std::get_if<TwirpError>(&outcome)) {
    logger("api")->info("twirp {}: {} {}", path, error->code, error->msg);
    return twirpErrorResponse(req, *error);
  }
  const auto& message = *std::get<std::unique_ptr<google::protobuf::Message>>(outcome);
  if (json) return makeResponse(req, http::status::ok, toTwirpJson(message), "application/json");
  return makeResponse(req, http::status::ok, message.SerializeAsString(), "application/protobuf");
}

std::string toTwirpJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace convox::common
