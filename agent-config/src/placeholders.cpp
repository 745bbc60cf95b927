#include "agent_config/placeholders.hpp"

namespace convox::agent_config {
namespace {

bool nameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool nameChar(char c) { return nameStart(c) || (c >= '0' && c <= '9'); }

struct Placeholder {
  std::string_view name;
  size_t end = 0;  // one past the closing "}}"
};

// The placeholder opening at `open` ("{{"), if it is well formed.
std::optional<Placeholder> parseAt(std::string_view text, size_t open) {
  size_t i = open + 2;
  while (i < text.size() && text[i] == ' ') ++i;
  const size_t start = i;
  if (i >= text.size() || !nameStart(text[i])) return std::nullopt;
  while (i < text.size() && nameChar(text[i])) ++i;
  const size_t stop = i;
  while (i < text.size() && text[i] == ' ') ++i;
  if (text.substr(i, 2) != "}}") return std::nullopt;
  return Placeholder{text.substr(start, stop - start), i + 2};
}

}  // namespace

std::optional<size_t> malformedPlaceholder(std::string_view text) {
  for (size_t open = text.find("{{"); open != std::string_view::npos; open = text.find("{{", open)) {
    const auto p = parseAt(text, open);
    if (!p) return open;
    open = p->end;
  }
  return std::nullopt;
}

std::string renderPlaceholders(std::string_view text, const std::map<std::string, std::string>& parameters) {
  std::string out;
  size_t copied = 0;
  for (size_t open = text.find("{{"); open != std::string_view::npos; open = text.find("{{", open)) {
    const auto p = parseAt(text, open);
    if (!p) {
      open += 2;
      continue;
    }
    out.append(text.substr(copied, open - copied));
    if (const auto it = parameters.find(std::string(p->name)); it != parameters.end()) out += it->second;
    copied = open = p->end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace convox::agent_config
