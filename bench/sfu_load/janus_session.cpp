#include "janus_session.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace convox::bench {

namespace json = boost::json;

namespace {
constexpr int64_t kKeepAliveNanos = 15'000'000'000;  // Janus's session_timeout defaults to 60 s

uint64_t idOf(const json::object& message, const char* key) {
  if (const auto* v = message.if_contains(key)) {
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  }
  return 0;
}
}  // namespace

const json::object& pluginData(const json::object& message) {
  static const json::object kEmpty;
  const auto* plugin = message.if_contains("plugindata");
  if (!plugin || !plugin->is_object()) return kEmpty;
  const auto* data = plugin->as_object().if_contains("data");
  return data && data->is_object() ? data->as_object() : kEmpty;
}

std::optional<std::string> jsepSdp(const json::object& message) {
  const auto* jsep = message.if_contains("jsep");
  if (!jsep || !jsep->is_object()) return std::nullopt;
  const auto* sdp = jsep->as_object().if_contains("sdp");
  if (!sdp || !sdp->is_string()) return std::nullopt;
  return std::string(sdp->as_string());
}

JanusSession::JanusSession(boost::asio::io_context& io, const client::WebSocketUrl& url, Failure onFailure)
    : onFailure_(std::move(onFailure)) {
  client::WebSocketOptions options;
  options.textFrames = true;
  options.headers = {{"Sec-WebSocket-Protocol", "janus-protocol"}};
  client::WebSocketClient::Handlers handlers;
  handlers.onMessage = [this](std::string_view frame) { onFrame(frame); };
  handlers.onClose = [this](const std::string& reason) {
    if (!closed_) onFailure_("Janus WebSocket: " + reason);
  };
  ws_ = client::WebSocketClient::create(io, url, std::move(options), std::move(handlers));
}

JanusSession::~JanusSession() { close(); }

void JanusSession::open(std::function<void()> onReady) {
  ws_->connect("/");
  send({{"janus", "create"}}, [this, onReady = std::move(onReady)](const json::object& reply) {
    const auto* data = reply.if_contains("data");
    session_ = data && data->is_object() ? idOf(data->as_object(), "id") : 0;
    if (session_ == 0) return onFailure_("Janus create: no session id");
    onReady();
  });
}

void JanusSession::attach(const std::string& plugin, Reply events, std::function<void(uint64_t)> onAttached) {
  send({{"janus", "attach"}, {"plugin", plugin}},
       [this, events = std::move(events), onAttached = std::move(onAttached)](const json::object& reply) mutable {
         const auto* data = reply.if_contains("data");
         const uint64_t handle = data && data->is_object() ? idOf(data->as_object(), "id") : 0;
         if (handle == 0) return onFailure_("Janus attach: no handle id");
         handleEvents_[handle] = std::move(events);
         onAttached(handle);
       });
}

void JanusSession::message(uint64_t handle, json::object body, std::optional<json::object> jsep, Reply onReply) {
  json::object request{{"janus", "message"}, {"handle_id", handle}, {"body", std::move(body)}};
  if (jsep) request["jsep"] = std::move(*jsep);
  send(std::move(request), std::move(onReply));
}

void JanusSession::tick(int64_t nowNanos) {
  if (session_ == 0 || closed_) return;
  if (nextKeepAlive_ == 0) nextKeepAlive_ = nowNanos + kKeepAliveNanos;
  if (nowNanos < nextKeepAlive_) return;
  nextKeepAlive_ = nowNanos + kKeepAliveNanos;
  send({{"janus", "keepalive"}}, [](const json::object&) {});
}

void JanusSession::close() {
  if (closed_) return;
  closed_ = true;
  if (session_ != 0) send({{"janus", "destroy"}}, [](const json::object&) {});
  ws_->close();
}

void JanusSession::send(json::object request, Reply onReply) {
  const std::string transaction = "t" + std::to_string(nextTransaction_++);
  request["transaction"] = transaction;
  if (session_ != 0) request["session_id"] = session_;
  pending_[transaction] = std::move(onReply);
  ws_->send(json::serialize(request));
}

void JanusSession::onFrame(std::string_view frame) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(frame, ec);
  if (ec || !parsed.is_object()) return onFailure_("Janus sent what is not a JSON object");
  const json::object& message = parsed.as_object();
  const auto* kind = message.if_contains("janus");
  const std::string janus = kind && kind->is_string() ? std::string(kind->as_string()) : "";
  if (janus == "ack") return;  // the event follows
  const auto* t = message.if_contains("transaction");
  if (janus == "error") {
    const auto* error = message.if_contains("error");
    return onFailure_("Janus error: " + (error ? json::serialize(*error) : std::string(frame)));
  }
  if (t && t->is_string()) {
    if (auto it = pending_.find(std::string(t->as_string())); it != pending_.end()) {
      Reply reply = std::move(it->second);
      pending_.erase(it);
      return reply(message);
    }
  }
  if (auto it = handleEvents_.find(idOf(message, "sender")); it != handleEvents_.end()) it->second(message);
}

}  // namespace convox::bench
