#include "rtc/ice_agent.hpp"

#include <nice/agent.h>

namespace convox::rtc {

namespace {

constexpr unsigned kComponent = 1;  // rtcp-mux and BUNDLE: one component

std::string stripPrefix(const std::string& line) {
  std::string s = line;
  if (s.rfind("a=", 0) == 0) s.erase(0, 2);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.pop_back();
  return s;
}

}  // namespace

std::string_view describe(IceState state) {
  switch (state) {
    case IceState::New:
      return "new";
    case IceState::Gathering:
      return "gathering";
    case IceState::Checking:
      return "checking";
    case IceState::Connected:
      return "connected";
    case IceState::Disconnected:
      return "disconnected";
    case IceState::Failed:
      return "failed";
  }
  return "unknown";
}

IceAgent::IceAgent(EventLoop& loop, IceAgentListener& listener, IceSettings settings)
    : loop_(loop), listener_(listener), settings_(std::move(settings)) {}

IceAgent::~IceAgent() {
  if (!agent_) return;
  g_signal_handlers_disconnect_by_data(agent_, this);
  if (streamId_) {
    nice_agent_attach_recv(agent_, streamId_, kComponent, loop_.context(), nullptr, nullptr);
    nice_agent_remove_stream(agent_, streamId_);
  }
  g_object_unref(agent_);
}

bool IceAgent::start(std::string& error) {
  if (agent_) return true;
  if (!loop_.context()) {
    error = "libnice needs an event loop on the GLib driver";
    return false;
  }
  auto options = static_cast<NiceAgentOption>(NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS);
  if (settings_.role == IceRole::Lite) options = static_cast<NiceAgentOption>(options | NICE_AGENT_OPTION_LITE_MODE);
  agent_ = nice_agent_new_full(loop_.context(), NICE_COMPATIBILITY_RFC5245, options);
  if (!agent_) {
    error = "nice_agent_new_full failed";
    return false;
  }
  g_object_set(agent_, "controlling-mode", settings_.role == IceRole::Controlling, "ice-tcp", settings_.tcp, "ice-udp",
               TRUE, "upnp", FALSE, nullptr);
  for (const auto& address : settings_.localAddresses) {
    NiceAddress addr;
    nice_address_init(&addr);
    if (!nice_address_set_from_string(&addr, address.c_str())) {
      error = "not an IP address: " + address;
      return false;
    }
    nice_agent_add_local_address(agent_, &addr);
  }
  g_signal_connect(agent_, "candidate-gathering-done", G_CALLBACK(&IceAgent::onGatheringDoneThunk), this);
  g_signal_connect(agent_, "new-candidate-full", G_CALLBACK(&IceAgent::onNewCandidateThunk), this);
  g_signal_connect(agent_, "component-state-changed", G_CALLBACK(&IceAgent::onStateThunk), this);
  streamId_ = nice_agent_add_stream(agent_, 1);
  if (streamId_ == 0) {
    error = "nice_agent_add_stream failed";
    return false;
  }
  if (settings_.portMin || settings_.portMax) {
    nice_agent_set_port_range(agent_, streamId_, kComponent, settings_.portMin, settings_.portMax);
  }
  readLocalCredentials();
  nice_agent_attach_recv(agent_, streamId_, kComponent, loop_.context(),
                         reinterpret_cast<NiceAgentRecvFunc>(&IceAgent::onReceiveThunk), this);
  state_ = IceState::Gathering;
  if (!nice_agent_gather_candidates(agent_, streamId_)) {
    error = "ICE gathering failed to start (no usable local address or port?)";
    return false;
  }
  return true;
}

std::string IceAgent::candidateLine(void* niceCandidate) const {
  auto* c = static_cast<NiceCandidate*>(niceCandidate);
  NiceCandidate* copy = nullptr;
  if (settings_.announcedAddress && c->type == NICE_CANDIDATE_TYPE_HOST) {
    copy = nice_candidate_copy(c);
    const guint port = nice_address_get_port(&copy->addr);
    nice_address_set_from_string(&copy->addr, settings_.announcedAddress->c_str());
    nice_address_set_port(&copy->addr, port);
    c = copy;
  }
  gchar* sdp = nice_agent_generate_local_candidate_sdp(agent_, c);
  std::string line = stripPrefix(sdp ? sdp : "");
  g_free(sdp);
  if (copy) nice_candidate_free(copy);
  return line;
}

std::vector<std::string> IceAgent::localCandidates() const {
  std::vector<std::string> out;
  if (!agent_) return out;
  GSList* list = nice_agent_get_local_candidates(agent_, streamId_, kComponent);
  for (GSList* i = list; i; i = i->next) out.push_back(candidateLine(i->data));
  g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  return out;
}

void IceAgent::readLocalCredentials() {
  gchar* ufrag = nullptr;
  gchar* pwd = nullptr;
  nice_agent_get_local_credentials(agent_, streamId_, &ufrag, &pwd);
  localUfrag_ = ufrag ? ufrag : "";
  localPassword_ = pwd ? pwd : "";
  g_free(ufrag);
  g_free(pwd);
}

bool IceAgent::restart() {
  if (!agent_ || !nice_agent_restart_stream(agent_, streamId_)) return false;
  readLocalCredentials();
  return true;
}

bool IceAgent::setRemoteCredentials(const std::string& ufrag, const std::string& password) {
  return agent_ && nice_agent_set_remote_credentials(agent_, streamId_, ufrag.c_str(), password.c_str());
}

bool IceAgent::addRemoteCandidate(const std::string& candidate) {
  if (!agent_) return false;
  const auto line = "a=" + stripPrefix(candidate);
  NiceCandidate* c = nice_agent_parse_remote_candidate_sdp(agent_, streamId_, line.c_str());
  if (!c) return false;
  GSList* list = g_slist_append(nullptr, c);
  const int added = nice_agent_set_remote_candidates(agent_, streamId_, kComponent, list);
  g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  return added > 0;
}

void IceAgent::remoteGatheringDone() {
  if (agent_) nice_agent_peer_candidate_gathering_done(agent_, streamId_);
}

bool IceAgent::send(std::span<const uint8_t> datagram) {
  // libnice itself refuses while no pair is selected; a lite agent may have
  // one (and need to answer DTLS) a moment before it reports "connected".
  if (!agent_) return false;
  return nice_agent_send(agent_, streamId_, kComponent, static_cast<guint>(datagram.size()),
                         reinterpret_cast<const gchar*>(datagram.data())) >= 0;
}

void IceAgent::onGatheringDoneThunk(NiceAgent*, unsigned, void* self) {
  static_cast<IceAgent*>(self)->listener_.onIceGatheringDone();
}

void IceAgent::onNewCandidateThunk(NiceAgent*, void* candidate, void* self) {
  auto* agent = static_cast<IceAgent*>(self);
  agent->listener_.onIceCandidate(agent->candidateLine(candidate));
}

void IceAgent::onStateThunk(NiceAgent*, unsigned, unsigned, unsigned state, void* self) {
  auto* agent = static_cast<IceAgent*>(self);
  IceState next = agent->state_;
  switch (static_cast<NiceComponentState>(state)) {
    case NICE_COMPONENT_STATE_GATHERING:
      next = IceState::Gathering;
      break;
    case NICE_COMPONENT_STATE_CONNECTING:
      next = IceState::Checking;
      break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
      next = IceState::Connected;
      break;
    case NICE_COMPONENT_STATE_FAILED:
      next = IceState::Failed;
      break;
    case NICE_COMPONENT_STATE_DISCONNECTED:
      // libnice reports "disconnected" before the first check; only a drop
      // from a connected state is news.
      if (agent->state_ == IceState::Connected) next = IceState::Disconnected;
      break;
    default:
      break;
  }
  if (next == agent->state_) return;
  agent->state_ = next;
  agent->listener_.onIceStateChange(next);
}

void IceAgent::onReceiveThunk(NiceAgent*, unsigned, unsigned, unsigned len, char* buf, void* self) {
  static_cast<IceAgent*>(self)->listener_.onIcePacket({reinterpret_cast<uint8_t*>(buf), len});
}

}  // namespace convox::rtc
