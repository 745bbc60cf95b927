#pragma once

// The agent document's rules as data: one Spec per field. The validator walks
// a document and its Spec side by side.

#include <boost/json/object.hpp>

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace convox::agent_config {

enum class Kind { String, Integer, Number, Boolean, Object, Array, AnyObject, Map, Either };

struct Spec {
  Kind kind = Kind::String;
  bool required = false;  // must be present (strings: and not empty)
  bool nonEmpty = false;  // strings: not empty when present
  size_t maxLength = 0;   // strings: bytes; arrays and maps: entries; 0 = no limit beyond the body limit
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool minusOneAllowed = false;        // numbers: -1 ("never", "unlimited") besides [min, max]
  std::vector<std::string> oneOf;      // allowed string values
  bool identifier = false;             // [A-Za-z0-9_-], for ids used in URLs and map keys
  bool templated = false;              // may hold {{parameter}} placeholders, which must be well formed
  bool languageTag = false;            // a BCP 47 tag such as "hi-IN"
  bool httpUrl = false;                // http:// or https://
  bool phoneNumber = false;            // "+" and 7-15 digits ('X' stands for a digit not yet chosen)
  bool unique = false;                 // arrays: no item twice
  std::map<std::string, Spec> fields;  // objects
  std::shared_ptr<Spec> items;         // arrays: each item; maps: each value (keys are identifiers)
  std::vector<Spec> either;            // the first alternative whose JSON type matches applies
};

// The whole document.
const Spec& documentSpec();
// POST /v1/calls' retry_context.
const Spec& retryContextSpec();

struct FieldError;
// Rules that span fields (cross_field_checks.cpp). They run on a document that
// passed documentSpec(), so every value present has its type.
void checkAcrossFields(const boost::json::object& document, std::vector<FieldError>& errors);

}  // namespace convox::agent_config
