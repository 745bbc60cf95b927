#include "api_support.hpp"

#include "duplicate_keys.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace convox::control_api {

HttpResponse jsonResponse(const HttpRequest& req, status code, const json::value& body) {
  return common::makeResponse(req, code, json::serialize(body), "application/json");
}

HttpResponse errorResponse(const HttpRequest& req, status code, std::string_view errorCode, std::string_view message,
                           const std::vector<FieldError>& details) {
  json::array list;
  for (const auto& d : details) list.push_back({{"field", d.field}, {"code", d.code}, {"message", d.message}});
  return jsonResponse(req, code,
                      {{"error", {{"code", errorCode}, {"message", message}, {"details", std::move(list)}}}});
}

ParsedBody parseJsonObject(const HttpRequest& req, size_t maxBytes) {
  ParsedBody out;
  const auto& body = req.body();
  if (body.size() > maxBytes) {
    out.error = errorResponse(req, status::payload_too_large, "payload_too_large",
                              "request body is larger than " + std::to_string(maxBytes) + " bytes");
    return out;
  }
  boost::system::error_code ec;
  // Boost.JSON rejects invalid UTF-8 in strings by default; say so plainly.
  json::value parsed = json::parse(body, ec);
  if (ec) {
    out.error =
        errorResponse(req, status::bad_request, "invalid_json", "request body is not valid UTF-8 JSON: " + ec.message(),
                      {{"", "invalid_json", ec.message()}});
    return out;
  }
  if (const auto key = firstDuplicateKey(body)) {
    out.error = errorResponse(req, status::bad_request, "invalid_json", "request body has a duplicate key: " + *key,
                              {{*key, "duplicate_key", "appears more than once in its object"}});
    return out;
  }
  if (!parsed.is_object()) {
    out.error = errorResponse(req, status::bad_request, "invalid_json", "request body must be a JSON object",
                              {{"", "wrong_type", "must be an object"}});
    return out;
  }
  out.object = std::move(parsed.as_object());
  return out;
}

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Why `value` (a Content-Type) is not JSON in UTF-8, or nullopt when it is.
std::optional<std::string> notJson(std::string_view value) {
  const auto semicolon = value.find(';');
  const auto type = lowercase(trimmed(value.substr(0, semicolon)));
  if (type != "application/json") return "the body must be sent as Content-Type: application/json";
  // JSON is UTF-8 (RFC 8259); a charset parameter, if any, must say so.
  for (auto rest = semicolon == std::string_view::npos ? std::string_view() : value.substr(semicolon + 1);
       !rest.empty();) {
    const auto next = rest.find(';');
    const auto parameter = trimmed(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const auto eq = parameter.find('=');
    if (eq == std::string_view::npos || lowercase(trimmed(parameter.substr(0, eq))) != "charset") continue;
    auto charset = lowercase(trimmed(parameter.substr(eq + 1)));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"')
      charset = charset.substr(1, charset.size() - 2);
    if (charset != "utf-8") return "JSON bodies are UTF-8; charset=" + charset + " is not accepted";
  }
  return std::nullopt;
}

}  // namespace

std::optional<HttpResponse> checkContentType(const HttpRequest& req) {
  if (req.body().empty()) return std::nullopt;
  const auto it = req.find(common::http::field::content_type);
  const auto problem =
      it == req.end()
          ? std::optional<std::string>("the body must be sent as Content-Type: application/json (none was given)")
          : notJson(it->value());
  if (!problem) return std::nullopt;
  return errorResponse(req, status::unsupported_media_type, "unsupported_media_type", *problem);
}

std::optional<HttpResponse> checkQuery(const HttpRequest& req, const std::vector<std::string_view>& allowed) {
  const auto target = req.target();
  if (target.find('?') == std::string_view::npos) return std::nullopt;
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return errorResponse(req, status::bad_request, "invalid_request", "the request target is not a valid URL");
  std::vector<FieldError> errors;
  std::vector<std::string> seen;
  for (const auto& param : url->params()) {
    const std::string& key = param.key;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      errors.push_back({key, "unknown_field", "is not a known query parameter"});
    } else if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      errors.push_back({key, "repeated", "may be given only once"});
    }
    seen.push_back(key);
  }
  if (errors.empty()) return std::nullopt;
  return errorResponse(req, status::bad_request, "invalid_request", "invalid query", errors);
}

const json::value* FieldReader::take(std::string_view name, bool required) {
  known_.emplace_back(name);
  const auto* v = object_.if_contains(name);
  if (!v && required) error(name, "required", "is required");
  return v;
}

void FieldReader::error(std::string_view name, std::string code, std::string message) {
  errors_.push_back({std::string(name), std::move(code), std::move(message)});
}

std::optional<std::string> FieldReader::string(std::string_view name, bool required, size_t maxLength) {
  const auto* v = take(name, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    error(name, "wrong_type", "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_string();
  if (s.size() > maxLength) {
    error(name, "too_long", "must be at most " + std::to_string(maxLength) + " bytes");
    return std::nullopt;
  }
  if (required && s.empty()) {
    error(name, "required", "must not be empty");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<int64_t> FieldReader::integer(std::string_view name, bool required, int64_t min, int64_t max) {
  const auto* v = take(name, required);
  if (!v) return std::nullopt;
  if (!v->is_int64() && !v->is_uint64()) {
    error(name, "wrong_type", "must be an integer");
    return std::nullopt;
  }
  if (v->is_uint64() && v->get_uint64() > static_cast<uint64_t>(max)) {
    error(name, "out_of_range", "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  const int64_t n = v->is_int64() ? v->get_int64() : static_cast<int64_t>(v->get_uint64());
  if (n < min || n > max) {
    error(name, "out_of_range", "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return n;
}

std::optional<double> FieldReader::number(std::string_view name, bool required, double min, double max) {
  const auto* v = take(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    error(name, "wrong_type", "must be a number");
    return std::nullopt;
  }
  const double n = v->to_number<double>();
  if (!(n >= min && n <= max)) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max;
    error(name, "out_of_range", range.str());
    return std::nullopt;
  }
  return n;
}

std::optional<bool> FieldReader::boolean(std::string_view name) {
  const auto* v = take(name, false);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    error(name, "wrong_type", "must be true or false");
    return std::nullopt;
  }
  return v->get_bool();
}

const json::object* FieldReader::object(std::string_view name) {
  const auto* v = take(name, false);
  if (!v) return nullptr;
  if (!v->is_object()) {
    error(name, "wrong_type", "must be an object");
    return nullptr;
  }
  return &v->get_object();
}

const json::array* FieldReader::array(std::string_view name, bool required) {
  const auto* v = take(name, required);
  if (!v) return nullptr;
  if (!v->is_array()) {
    error(name, "wrong_type", "must be an array");
    return nullptr;
  }
  return &v->get_array();
}

std::vector<FieldError> FieldReader::finish() {
  for (const auto& [key, value] : object_) {
    if (std::find(known_.begin(), known_.end(), std::string(key)) == known_.end()) {
      errors_.push_back({std::string(key), "unknown_field", "is not a known field"});
    }
  }
  return std::move(errors_);
}

bool isIdentifier(std::string_view s, size_t maxLength) {
  return !s.empty() && s.size() <= maxLength && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace convox::control_api
