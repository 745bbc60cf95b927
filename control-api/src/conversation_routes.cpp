// /v1/conversations: list, detail, transcript, turns (list and the worker's
// idempotent ingest), status updates and ending a live conversation.
#include "common/base64.hpp"
#include "common/ids.hpp"
#include "routes.hpp"
#include "turn_providers.hpp"
#include "turn_timings.hpp"

#include <boost/url/parse.hpp>

#include <charconv>
#include <cmath>

namespace convox::control_api {
namespace {

using common::http::verb;

std::optional<int64_t> parseInteger(std::string_view s) {
  int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Cursors are opaque to clients: base64url of "<created_at>:<id>" of the last row.
std::string encodeCursor(const ConversationRecord& last) {
  return common::base64UrlEncode(std::to_string(last.createdAt) + ":" + last.id);
}
std::optional<ConversationCursor> decodeCursor(std::string_view text) {
  const auto raw = common::base64UrlDecode(text);
  if (!raw) return std::nullopt;
  const auto colon = raw->find(':');
  if (colon == std::string::npos) return std::nullopt;
  const auto createdAt = parseInteger(std::string_view(*raw).substr(0, colon));
  const auto id = raw->substr(colon + 1);
  if (!createdAt || !isIdentifier(id)) return std::nullopt;
  return ConversationCursor{*createdAt, id};
}

HttpResponse listConversations(const RequestContext& ctx) {
  const auto& req = ctx.req;
  ConversationFilter filter;
  std::vector<FieldError> errors;
  const auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return errorResponse(req, status::bad_request, "invalid_request", "the request target is not a valid URL");
  for (const auto& param : url->params()) {
    const std::string& key = param.key;
    const std::string& value = param.value;
    auto integerParam = [&](std::optional<int64_t>& out) {
      out = parseInteger(value);
      if (!out || *out < 0) errors.push_back({key, "wrong_type", "must be a non-negative integer (unix milliseconds)"});
    };
    if (key == "agent_id") {
      if (!isIdentifier(value)) errors.push_back({key, "invalid_value", "is not an agent id"});
      filter.agentId = value;
    } else if (key == "status") {
      if (value != "created" && value != "in_progress" && value != "ended" && value != "failed") {
        errors.push_back({key, "invalid_value", "must be one of created, in_progress, ended, failed"});
      }
      filter.status = value;
    } else if (key == "created_from") {
      integerParam(filter.createdFrom);
    } else if (key == "created_until") {
      integerParam(filter.createdUntil);
    } else if (key == "limit") {
      const auto n = parseInteger(value);
      if (!n || *n < 1 || *n > ctx.limits.maxPageSize) {
        errors.push_back({key, "out_of_range", "must be between 1 and " + std::to_string(ctx.limits.maxPageSize)});
      } else {
        filter.limit = static_cast<int>(*n);
      }
    } else if (key == "cursor") {
      filter.after = decodeCursor(value);
      if (!filter.after) errors.push_back({key, "invalid_value", "is not a cursor this API returned"});
    } else {
      errors.push_back({key, "unknown_field", "is not a known query parameter"});
    }
  }
  if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid query", errors);
  const int pageSize = filter.limit;
  filter.limit = pageSize + 1;  // one more tells whether a next page exists
  auto rows = ctx.repository.listConversations(ctx.teamId, filter);
  json::value next = nullptr;
  if (rows.size() > static_cast<size_t>(pageSize)) {
    rows.resize(static_cast<size_t>(pageSize));
    next = encodeCursor(rows.back());
  }
  json::array items;
  for (const auto& c : rows) items.push_back(conversationJson(c));
  return jsonResponse(req, status::ok, {{"conversations", std::move(items)}, {"next_cursor", next}});
}

std::string csvField(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

HttpResponse transcript(const RequestContext& ctx, const ConversationRecord& c) {
  const auto& req = ctx.req;
  const auto format = common::queryParameter(req, "format").value_or("json");
  const auto turns = ctx.repository.listTurns(ctx.teamId, c.id);
  if (format == "json") {
    json::array list;
    for (const auto& t : turns) list.push_back(turnJson(t));
    return jsonResponse(req, status::ok, {{"conversation_id", c.id}, {"turns", std::move(list)}});
  }
  std::string out;
  if (format == "text") {
    for (const auto& t : turns) {
      out += t.role + ": " + (t.redacted ? "[not logged]" : t.text) + (t.interrupted ? " [interrupted]" : "") + "\n";
    }
    return common::makeResponse(req, status::ok, std::move(out), "text/plain; charset=utf-8");
  }
  if (format == "csv") {
    out = "started_at,role,text,interrupted\r\n";
    for (const auto& t : turns) {
      out += std::to_string(t.startedAt) + "," + t.role + "," + csvField(t.text) + "," +
             (t.interrupted ? "true" : "false") + "\r\n";
    }
    return common::makeResponse(req, status::ok, std::move(out), "text/csv; charset=utf-8");
  }
  return errorResponse(req, status::bad_request, "invalid_request", "unknown transcript format",
                       {{"format", "invalid_value", "must be json, text or csv"}});
}

// Whether the conversation's agent keeps transcripts. An agent with
// privacy.no_logging does not; neither does one that is gone (its policy
// can no longer be read, and withholding is the side that cannot leak).
bool logsTranscripts(const RequestContext& ctx, const ConversationRecord& c) {
  const auto agent = ctx.repository.getAgent(ctx.teamId, c.agentId);
  if (!agent) return false;
  boost::system::error_code ec;
  const auto config = json::parse(agent->configJson, ec);
  if (ec || !config.is_object()) return false;
  const auto* privacy = config.as_object().if_contains("privacy");
  if (!privacy || !privacy->is_object()) return true;
  const auto* noLogging = privacy->as_object().if_contains("no_logging");
  return !(noLogging && noLogging->is_bool() && noLogging->get_bool());
}

// A BCP 47 tag as recognizers report them (en, hi-IN, zh-Hant-TW): ASCII
// letters and digits in '-'-separated subtags of 1-8, the first letters.
bool isLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  size_t length = 0;  // of the current subtag
  bool first = true;  // in the primary language subtag: letters only
  for (const char c : tag) {
    if (c == '-') {
      if (length == 0) return false;
      length = 0;
      first = false;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (digit && !first)) || ++length > 8) return false;
  }
  return length > 0;
}

constexpr int64_t kMaxMillis = int64_t{1} << 52;

// `timings`: each stage's unix-ms timestamp, every one optional.
std::vector<FieldError> readTimings(const json::object& object, TurnTimings& out) {
  FieldReader fields(object);
  for (const auto& stage : kTurnStages) out.*stage.field = fields.integer(stage.name, false, 0, kMaxMillis);
  auto errors = fields.finish();
  for (auto& e : errors) e.field = "timings." + e.field;
  return errors;
}

HttpResponse ingestTurn(const RequestContext& ctx, const ConversationRecord& c) {
  const auto& req = ctx.req;
  auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
  if (body.error) return *body.error;
  FieldReader fields(body.object);
  TurnRecord turn;
  const auto turnId = fields.string("turn_id", true, 64);
  const auto role = fields.string("role", true, 16);
  const auto text = fields.string("text", false, 100000);
  const auto startedAt = fields.integer("started_at", true, 0, kMaxMillis);
  const auto interrupted = fields.boolean("interrupted");
  const auto confidence = fields.number("confidence", false, 0, 1);
  const auto language = fields.string("language", false, 35);
  const auto* timings = fields.object("timings");
  const auto* providers = fields.object("providers");
  const auto* providerEvents = fields.array("provider_events");
  auto errors = fields.finish();
  if (turnId && !isIdentifier(*turnId))
    errors.push_back({"turn_id", "invalid_value", "may contain only letters, digits, '_' and '-'"});
  if (role && *role != "user" && *role != "agent") errors.push_back({"role", "invalid_value", "must be user or agent"});
  if (confidence && role && *role != "user") {
    errors.push_back({"confidence", "invalid_value", "is the recognizer's confidence: user turns only"});
  }
  if (language && !isLanguageTag(*language)) {
    errors.push_back({"language", "invalid_value", "must be a BCP 47 language tag such as en or hi-IN"});
  }
  if (timings) {
    auto more = readTimings(*timings, turn.timings);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (providers) {
    auto more = readProviders(*providers, turn.providers);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (providerEvents) {
    auto more = readProviderEvents(*providerEvents, turn.providerEvents);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid turn", errors);
  turn.turnId = *turnId;
  turn.role = *role;
  turn.startedAt = *startedAt;
  turn.interrupted = interrupted.value_or(false);
  if (confidence) turn.confidenceMicros = std::llround(*confidence * 1e6);
  turn.language = language;
  turn.redacted = !logsTranscripts(ctx, c);
  if (!turn.redacted) turn.text = text.value_or("");
  const bool stored = ctx.repository.addTurn(ctx.teamId, c.id, turn, common::unixMillis(), c.agentId);
  return jsonResponse(req, stored ? status::created : status::ok,
                      {{"turn_id", turn.turnId}, {"stored", stored}, {"redacted", turn.redacted}});
}

HttpResponse changeStatus(const RequestContext& ctx, const ConversationRecord& c, bool endOnly) {
  const auto& req = ctx.req;
  StatusChange change{"ended", std::nullopt, std::nullopt, std::string(kEndedByApi)};
  if (!endOnly) {
    auto body = parseJsonObject(req, ctx.limits.maxBodyBytes);
    if (body.error) return *body.error;
    FieldReader fields(body.object);
    const auto status = fields.string("status", true, 16);
    change.error = fields.string("error", false, 4000);
    const auto* results = fields.object("results");
    change.endReason = fields.string("end_reason", false, 64);
    auto errors = fields.finish();
    if (status && *status != "in_progress" && *status != "ended" && *status != "failed") {
      errors.push_back({"status", "invalid_value", "must be in_progress, ended or failed"});
    }
    if (change.endReason && !isIdentifier(*change.endReason)) {
      errors.push_back({"end_reason", "invalid_value", "may contain only letters, digits, '_' and '-'"});
    } else if (change.endReason && status && *status == "in_progress") {
      errors.push_back({"end_reason", "invalid_value", "is for a move to ended or failed"});
    }
    if (!errors.empty()) return errorResponse(req, status::bad_request, "invalid_request", "invalid status", errors);
    change.status = *status;
    if (results) change.resultsJson = json::serialize(*results);
  }
  const auto updated = ctx.repository.changeStatus(ctx.teamId, c.id, change, common::unixMillis());
  if (!updated) {
    return errorResponse(req, status::conflict, "conversation_final", "the conversation has already " + c.status);
  }
  if (ctx.webhooks && updated->status != c.status) ctx.webhooks->conversationChanged(ctx.teamId, *updated);
  return jsonResponse(req, status::ok, conversationJson(*updated));
}

}  // namespace

json::object turnJson(const TurnRecord& t) {
  const auto optional = [](const std::optional<int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); };
  json::object timings;
  for (const auto& stage : kTurnStages) timings[stage.name] = optional(t.timings.*stage.field);
  // Derived intervals, each null unless both of its ends were reported.
  const auto between = [&](const std::optional<int64_t>& from, const std::optional<int64_t>& to) {
    return from && to ? json::value(*to - *from) : json::value(nullptr);
  };
  const auto& s = t.timings;
  json::object latency{{"voice_to_voice", between(s.userSpeechEnd, s.firstPacketOut)},
                       {"endpointing", between(s.userSpeechEnd, s.vadEnd)},
                       {"stt", between(s.userSpeechEnd, s.sttFinal)},
                       {"llm_first_token", between(s.sttFinal, s.llmFirstToken)},
                       {"tts_first_audio", between(s.llmFirstToken, s.ttsFirstAudio)},
                       {"transport", between(s.ttsFirstAudio, s.firstPacketOut)}};
  const auto named = [](const std::string& id) { return id.empty() ? json::value(nullptr) : json::value(id); };
  json::object providers{
      {"stt", named(t.providers.stt)}, {"llm", named(t.providers.llm)}, {"tts", named(t.providers.tts)}};
  json::array events;
  for (const auto& e : t.providerEvents) {
    json::object o{{"stage", e.stage}, {"provider", e.provider}, {"event", e.event}};
    o["reason"] = e.reason ? json::value(*e.reason) : json::value(nullptr);
    if (e.to) o["to"] = *e.to;
    events.push_back(std::move(o));
  }
  return {{"turn_id", t.turnId},
          {"role", t.role},
          {"text", t.text},
          {"redacted", t.redacted},
          {"started_at", t.startedAt},
          {"interrupted", t.interrupted},
          {"confidence",
           t.confidenceMicros ? json::value(static_cast<double>(*t.confidenceMicros) / 1e6) : json::value(nullptr)},
          {"language", t.language ? json::value(*t.language) : json::value(nullptr)},
          {"timings", std::move(timings)},
          {"latency_ms", std::move(latency)},
          {"providers", std::move(providers)},
          {"provider_events", std::move(events)}};
}

json::object conversationJson(const ConversationRecord& c) {
  auto optional = [](const std::optional<int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); };
  json::value duration = nullptr;
  if (c.startedAt && c.endedAt) duration = static_cast<double>(*c.endedAt - *c.startedAt) / 1000.0;
  return {{"id", c.id},
          {"agent_id", c.agentId},
          {"status", c.status},
          {"trace_id", c.traceId},
          {"room", c.room},
          {"parameters", json::parse(c.parametersJson)},
          {"results", json::parse(c.resultsJson)},
          {"error", c.error ? json::value(*c.error) : json::value(nullptr)},
          {"end_reason", c.endReason ? json::value(*c.endReason) : json::value(nullptr)},
          {"created_at", c.createdAt},
          {"started_at", optional(c.startedAt)},
          {"ended_at", optional(c.endedAt)},
          {"duration_seconds", duration}};
}

HttpResponse handleConversations(const RequestContext& ctx) {
  const auto& req = ctx.req;
  const auto& s = ctx.segments;
  if (s.size() == 1) {
    if (req.method() != verb::get) return methodNotAllowed(req);
    return listConversations(ctx);
  }
  if (s.size() > 3 || !isIdentifier(s[1])) return notFound(req, "conversation");
  const auto conversation = ctx.repository.getConversation(ctx.teamId, s[1]);
  if (!conversation) return notFound(req, "conversation");
  if (s.size() == 2) {
    if (req.method() != verb::get) return methodNotAllowed(req);
    return jsonResponse(req, status::ok, conversationJson(*conversation));
  }
  const auto& sub = s[2];
  if (sub == "transcript") {
    if (req.method() != verb::get) return methodNotAllowed(req);
    return transcript(ctx, *conversation);
  }
  if (sub == "turns") {
    if (req.method() == verb::post) return ingestTurn(ctx, *conversation);
    if (req.method() != verb::get) return methodNotAllowed(req);
    json::array list;
    for (const auto& t : ctx.repository.listTurns(ctx.teamId, conversation->id)) list.push_back(turnJson(t));
    return jsonResponse(req, status::ok, {{"turns", std::move(list)}});
  }
  if (sub == "webhook-deliveries") {
    if (req.method() != verb::get) return methodNotAllowed(req);
    json::array list;
    for (const auto& d : ctx.repository.listDeliveries(ctx.teamId, conversation->id)) {
      list.push_back({{"id", d.id},
                      {"event", d.event},
                      {"url", d.url},
                      {"attempt", d.attempt},
                      {"status_code", d.statusCode ? json::value(*d.statusCode) : json::value(nullptr)},
                      {"error", d.error ? json::value(*d.error) : json::value(nullptr)},
                      {"delivered", d.delivered},
                      {"created_at", d.createdAt}});
    }
    return jsonResponse(req, status::ok, {{"deliveries", std::move(list)}});
  }
  if (sub == "usage") return handleUsage(ctx, *conversation);
  if (sub == "provider-credentials") return handleJobCredentials(ctx, *conversation);
  if (sub == "cost") return handleCost(ctx, *conversation);
  if (sub == "status" || sub == "end") {
    if (req.method() != verb::post) return methodNotAllowed(req);
    return changeStatus(ctx, *conversation, sub == "end");
  }
  return notFound(req, "route");
}

}  // namespace convox::control_api
