#pragma once

// Twirp (v7) over the HTTP router: POST /twirp/<package.Service>/<Method>
// with a JSON (application/json) or protobuf (application/protobuf) body,
// answered in the same encoding; errors as {"code","msg","meta"} JSON.

#include "common/access_token.hpp"
#include "common/http_server.hpp"

#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace convox::common {

struct TwirpError {
  std::string code;  // canceled, invalid_argument, malformed, not_found, ...
  std::string msg;
  std::map<std::string, std::string> meta;

  static TwirpError unauthenticated(std::string m) { return {"unauthenticated", std::move(m), {}}; }
  static TwirpError permissionDenied(std::string m) { return {"permission_denied", std::move(m), {}}; }
  static TwirpError notFound(std::string m) { return {"not_found", std::move(m), {}}; }
  static TwirpError invalidArgument(std::string m) { return {"invalid_argument", std::move(m), {}}; }
  static TwirpError alreadyExists(std::string m) { return {"already_exists", std::move(m), {}}; }
  static TwirpError failedPrecondition(std::string m) { return {"failed_precondition", std::move(m), {}}; }
  static TwirpError unimplemented(std::string m) { return {"unimplemented", std::move(m), {}}; }
  static TwirpError resourceExhausted(std::string m) { return {"resource_exhausted", std::move(m), {}}; }
  static TwirpError internal(std::string m) { return {"internal", std::move(m), {}}; }
};

// The HTTP status Twirp specifies for an error code (500 for unknown codes).
http::status twirpStatus(std::string_view code);

HttpResponse twirpErrorResponse(const HttpRequest& req, const TwirpError& error);

// Checks the caller's bearer token; returns its grants or an unauthenticated error.
using TwirpAuthenticator = std::function<boost::system::result<ClaimGrants, TwirpError>(const HttpRequest&)>;

TwirpAuthenticator tokenAuthenticator(SecretLookup secrets, std::function<int64_t()> nowSeconds);

class TwirpService {
 public:
  TwirpService(std::string fullName, TwirpAuthenticator authenticate);

  template <typename Req, typename Resp>
  using Method = std::function<boost::system::result<Resp, TwirpError>(const Req&, const ClaimGrants&)>;

  template <typename Req, typename Resp>
  void method(const std::string& name, Method<Req, Resp> fn) {
    methods_[name] = [fn = std::move(fn)](const std::string& body, bool json, const ClaimGrants& grants) -> Outcome {
      Req req;
      if (auto err = decode(body, json, req)) return *err;
      auto result = fn(req, grants);
      if (!result) return result.error();
      return std::make_unique<Resp>(std::move(*result));
    };
  }

  // Registers the service's routes on `router`.
  void mount(HttpRouter& router) const;

  // Handles one request (exposed for tests).
  HttpResponse handle(const HttpRequest& req) const;

 private:
  using Outcome = std::variant<std::unique_ptr<google::protobuf::Message>, TwirpError>;
  using Erased = std::function<Outcome(const std::string&, bool, const ClaimGrants&)>;

  static std::optional<TwirpError> decode(const std::string& body, bool json, google::protobuf::Message& out);

  std::string prefix_;  // "/twirp/<fullName>/"
  TwirpAuthenticator authenticate_;
  std::map<std::string, Erased, std::less<>> methods_;
};

// Proto-JSON as LiveKit's server writes it: snake_case, defaults included.
std::string toTwirpJson(const google::protobuf::Message& message);

}  // namespace convox::common
