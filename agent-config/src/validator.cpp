#include "agent_config/placeholders.hpp"
#include "agent_config/validate.hpp"
#include "schema.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

namespace convox::agent_config {
namespace {

namespace json = boost::json;

const char* kindName(Kind kind) {
  switch (kind) {
    case Kind::String:
      return "a string";
    case Kind::Integer:
      return "an integer";
    case Kind::Number:
      return "a number";
    case Kind::Boolean:
      return "true or false";
    case Kind::Object:
    case Kind::AnyObject:
    case Kind::Map:
      return "an object";
    case Kind::Array:
      return "an array";
    case Kind::Either:
      return "a value";
  }
  return "a value";
}

bool matchesKind(const json::value& v, Kind kind) {
  switch (kind) {
    case Kind::String:
      return v.is_string();
    case Kind::Integer:
      return v.is_int64() || v.is_uint64();
    case Kind::Number:
      return v.is_number();
    case Kind::Boolean:
      return v.is_bool();
    case Kind::Object:
    case Kind::AnyObject:
    case Kind::Map:
      return v.is_object();
    case Kind::Array:
      return v.is_array();
    case Kind::Either:
      return false;
  }
  return false;
}

std::optional<double> numericValue(const json::value& v, bool integral) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && !integral) return v.get_double();
  return std::nullopt;
}

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentifier(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return isAlpha(c) || isDigit(c) || c == '_' || c == '-'; });
}

// BCP 47 in the shape providers take: a 2-3 letter language, then subtags of
// 1-8 letters or digits ("hi", "hi-IN", "zh-Hant-TW").
bool isLanguageTag(std::string_view s) {
  size_t start = 0;
  for (int index = 0;; ++index) {
    const auto dash = s.find('-', start);
    const auto part = s.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    const bool alnum = std::all_of(part.begin(), part.end(), [](char c) { return isAlpha(c) || isDigit(c); });
    if (index == 0 && (part.size() < 2 || part.size() > 3 || !std::all_of(part.begin(), part.end(), isAlpha)))
      return false;
    if (part.empty() || part.size() > 8 || !alnum) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
  }
}

bool isPhoneNumber(std::string_view s) {
  if (s.size() < 8 || s.size() > 16 || s[0] != '+') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return isDigit(c) || c == 'X'; });
}

class Validator {
 public:
  std::vector<FieldError> errors;

  void check(const json::value& v, const Spec& spec, const std::string& path) {
    switch (spec.kind) {
      case Kind::String:
        return checkString(v, spec, path);
      case Kind::Integer:
      case Kind::Number:
        return checkNumber(v, spec, path);
      case Kind::Boolean:
        if (!v.is_bool()) wrongType(path, spec);
        return;
      case Kind::AnyObject:
        if (!v.is_object()) wrongType(path, spec);
        return;
      case Kind::Object:
        return checkObject(v, spec, path);
      case Kind::Array:
        return checkArray(v, spec, path);
      case Kind::Map:
        return checkMap(v, spec, path);
      case Kind::Either:
        return checkEither(v, spec, path);
    }
  }

 private:
  void add(const std::string& path, std::string code, std::string message) {
    errors.push_back({path, std::move(code), std::move(message)});
  }
  void wrongType(const std::string& path, const Spec& spec) {
    add(path, "wrong_type", std::string("must be ") + kindName(spec.kind));
  }

  void checkEither(const json::value& v, const Spec& spec, const std::string& path) {
    std::string names;
    for (const auto& alternative : spec.either) {
      if (matchesKind(v, alternative.kind)) return check(v, alternative, path);
      names += (names.empty() ? "" : " or ") + std::string(kindName(alternative.kind));
    }
    add(path, "wrong_type", "must be " + names);
  }

  void checkString(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_string()) return wrongType(path, spec);
    const std::string_view s = v.get_string();
    if (spec.maxLength && s.size() > spec.maxLength) {
      return add(path, "too_long", "must be at most " + std::to_string(spec.maxLength) + " bytes");
    }
    if ((spec.required || spec.nonEmpty) && s.empty()) return add(path, "required", "must not be empty");
    if (!spec.oneOf.empty() && std::find(spec.oneOf.begin(), spec.oneOf.end(), s) == spec.oneOf.end()) {
      std::string allowed;
      for (const auto& o : spec.oneOf) allowed += (allowed.empty() ? "" : ", ") + o;
      return add(path, "invalid_value", "must be one of " + allowed);
    }
    if (spec.identifier && !isIdentifier(s))
      add(path, "invalid_value", "may contain only letters, digits, '_' and '-'");
    if (spec.languageTag && !isLanguageTag(s)) {
      add(path, "invalid_value", "must be a language tag such as \"hi\" or \"hi-IN\"");
    }
    if (spec.httpUrl && s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) {
      add(path, "invalid_value", "must be an http:// or https:// URL");
    }
    if (spec.phoneNumber && !isPhoneNumber(s)) {
      add(path, "invalid_value",
          "must be a number in E.164 form: '+' and 7-15 digits ('X' for a digit not yet chosen)");
    }
    if (spec.templated) {
      if (const auto at = malformedPlaceholder(s)) {
        add(path, "invalid_value",
            "has a malformed placeholder at byte " + std::to_string(*at) +
                ": write {{name}} with a name of letters, digits and '_'");
      }
    }
  }

  void checkNumber(const json::value& v, const Spec& spec, const std::string& path) {
    const auto n = numericValue(v, spec.kind == Kind::Integer);
    if (!n) return wrongType(path, spec);
    if (spec.minusOneAllowed && *n == -1) return;
    if (*n < spec.min || *n > spec.max) {
      json::value lo(spec.min), hi(spec.max);
      add(path, "out_of_range",
          std::string(spec.minusOneAllowed ? "must be -1 or " : "must be ") + "between " + json::serialize(lo) +
              " and " + json::serialize(hi));
    }
  }

  void checkObject(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_object()) return wrongType(path, spec);
    const auto& obj = v.get_object();
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& [key, value] : obj) {
      const auto it = spec.fields.find(std::string(key));
      if (it == spec.fields.end()) {
        add(prefix + std::string(key), "unknown_field", "is not a known field");
        continue;
      }
      check(value, it->second, prefix + std::string(key));
    }
    for (const auto& [key, field] : spec.fields) {
      if (field.required && !obj.contains(key)) add(prefix + key, "required", "is required");
    }
  }

  void checkMap(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_object()) return wrongType(path, spec);
    const auto& obj = v.get_object();
    if (spec.maxLength && obj.size() > spec.maxLength) {
      return add(path, "too_long", "must have at most " + std::to_string(spec.maxLength) + " entries");
    }
    for (const auto& [key, value] : obj) {
      const std::string field = path + "." + std::string(key);
      if (!isIdentifier(key) || key.size() > 64) {
        add(field, "invalid_value", "keys are 1-64 letters, digits, '_' and '-'");
        continue;
      }
      check(value, *spec.items, field);
    }
  }

  void checkArray(const json::value& v, const Spec& spec, const std::string& path) {
    if (!v.is_array()) return wrongType(path, spec);
    const auto& arr = v.get_array();
    if (spec.maxLength && arr.size() > spec.maxLength) {
      return add(path, "too_long", "must have at most " + std::to_string(spec.maxLength) + " items");
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      check(arr[i], *spec.items, item);
      if (spec.unique && std::find(arr.begin(), arr.begin() + static_cast<std::ptrdiff_t>(i), arr[i]) !=
                             arr.begin() + static_cast<std::ptrdiff_t>(i)) {
        add(item, "duplicate", "is listed twice");
      }
    }
  }
};

}  // namespace

std::vector<FieldError> validateDocument(const boost::json::value& document) {
  Validator validator;
  validator.check(document, documentSpec(), "");
  if (validator.errors.empty()) checkAcrossFields(document.as_object(), validator.errors);
  return validator.errors;
}

std::vector<FieldError> validateRetryContext(const boost::json::value& context) {
  Validator validator;
  validator.check(context, retryContextSpec(), "retry_context");
  return validator.errors;
}

}  // namespace convox::agent_config
