#pragma once

// Request and response plumbing shared by the /v1 handlers: the error
// format, strict JSON bodies, and reading typed fields with field-level errors.

#include "common/http_server.hpp"
#include "control_api/agent_config.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convox::control_api {

namespace json = boost::json;
using common::HttpRequest;
using common::HttpResponse;
using common::http::status;

// {"error": {"code", "message", "details": [{"field", "code", "message"}]}}
HttpResponse errorResponse(const HttpRequest& req, status code, std::string_view errorCode, std::string_view message,
                           const std::vector<FieldError>& details = {});
HttpResponse jsonResponse(const HttpRequest& req, status code, const json::value& body);

// A parsed body, or the error response to send instead.
struct ParsedBody {
  json::object object;
  std::optional<HttpResponse> error;
};
// Refuses duplicate keys too (400, naming the key's path).
ParsedBody parseJsonObject(const HttpRequest& req, size_t maxBytes);

// 415 unless a request with a body declares it application/json (any
// parameters, but a charset must be utf-8); nullopt when it is fine.
std::optional<HttpResponse> checkContentType(const HttpRequest& req);
// 400 for query parameters not in `allowed` and for any given twice.
std::optional<HttpResponse> checkQuery(const HttpRequest& req, const std::vector<std::string_view>& allowed);

// Reads fields of a request object; anything not read is reported as unknown
// by finish().
class FieldReader {
 public:
  explicit FieldReader(const json::object& object) : object_(object) {}

  std::optional<std::string> string(std::string_view name, bool required, size_t maxLength);
  std::optional<int64_t> integer(std::string_view name, bool required, int64_t min, int64_t max);
  std::optional<double> number(std::string_view name, bool required, double min, double max);
  std::optional<bool> boolean(std::string_view name);
  const json::object* object(std::string_view name);
  const json::array* array(std::string_view name, bool required = false);
  // The fields not read, as unknown_field errors, after the type errors.
  std::vector<FieldError> finish();

 private:
  const json::value* take(std::string_view name, bool required);
  void error(std::string_view name, std::string code, std::string message);

  const json::object& object_;
  std::vector<std::string> known_;
  std::vector<FieldError> errors_;
};

bool isIdentifier(std::string_view s, size_t maxLength = 64);

}  // namespace convox::control_api
