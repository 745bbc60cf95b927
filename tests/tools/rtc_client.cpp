// convox-rtc-client: rtc/ in the client role. Offers audio (a synthetic
// 440 Hz tone, Opus) and a data channel to a peer that answers
// "POST <url> with an SDP offer" (convox-rtc-echo, or the node-datachannel
// echo peer), then reports what came back as one JSON line:
//   {"connected":true,"srtp":"...","echo":"...","frequency":440,"packets":N}
#include "common/http_client.hpp"
#include "echo_session.hpp"
#include "rtc/rtp_packet.hpp"
#include "rtc/sdp_transport.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

using namespace convox;
using namespace std::chrono_literals;

namespace {

class ClientPeer final : public rtc::WebRtcTransportListener {
 public:
  ClientPeer(rtc::EventLoop& loop, rtc::WebRtcTransportSettings settings) {
    transport_ = std::make_unique<rtc::WebRtcTransport>(loop, *this, std::move(settings));
    std::string error;
    encoder_ = rtc::OpusFrameEncoder::create({}, error);
    decoder_ = rtc::OpusFrameDecoder::create(1, error);
    ssrc_ = std::random_device{}() | 1u;
  }

  rtc::WebRtcTransport& transport() { return *transport_; }
  bool gathered = false;
  rtc::TransportState state = rtc::TransportState::New;
  std::string failure;
  std::string echoed;
  std::optional<uint16_t> channel;
  size_t packetsReceived = 0;
  std::vector<int16_t> heard;

  std::string offer() const {
    rtc::SessionDescription o;
    o.origin.sessionId = ssrc_;
    o.origin.sessionVersion = 1;
    o.msidSemantic = rtc::MsidSemantic{"WMS", {"*"}};
    auto common = [&](rtc::MediaSection& m, const char* mid) {
      m.mid = mid;
      rtc::describeLocalTransport(*transport_, m, rtc::SetupRole::ActPass, true);
      m.transport.iceOptions = {"trickle"};
    };
    rtc::MediaSection audio;
    audio.kind = rtc::MediaKind::Audio;
    common(audio, "0");
    audio.codecs = {rtc::webRtcOpus(kOpusPt)};
    audio.rtcpMux = true;
    audio.direction = rtc::Direction::SendRecv;
    audio.msids = {{"convox-client", "client-audio"}};
    audio.ssrcs = {{ssrc_, {{"cname", "convox-client"}}}};
    rtc::MediaSection data;
    data.kind = rtc::MediaKind::Application;
    data.protocol = rtc::MediaProtocol::UdpDtlsSctp;
    data.formats = {"webrtc-datachannel"};
    data.sctpPort = 5000;
    data.maxMessageSize = 262144;
    common(data, "1");
    o.media = {audio, data};
    o.groups = {{"BUNDLE", {"0", "1"}}};
    return rtc::writeSdp(o);
  }

  bool applyAnswer(const std::string& sdp, std::string& error) {
    auto answer = rtc::parseRemoteDescription(sdp, rtc::SdpType::Answer);
    if (!answer) {
      error = answer.error();
      return false;
    }
    if (const auto* opus = rtc::findCodec(answer->media.at(0), "opus")) remotePt_ = opus->payloadType;
    auto applied = rtc::applyRemoteDescription(*transport_, *answer, rtc::SdpType::Answer, rtc::SetupRole::ActPass);
    if (!applied) {
      error = applied.error();
      return false;
    }
    return true;
  }

  bool decodeReplies = true;
  size_t packetsSent = 0;

  // An already-encoded frame on our SSRC (load mode: encode once, send N times).
  void sendEncoded(std::span<const uint8_t> opus) {
    rtc::RtpHeader h;
    h.payloadType = kOpusPt;
    h.sequenceNumber = seq_++;
    h.timestamp = ts_;
    h.ssrc = ssrc_;
    ts_ += rtc::kOpusFrameSamples;
    auto hs = rtc::buildRtpHeader(h, {}, sendBuffer_);
    if (!hs || *hs + opus.size() + rtc::kSrtpMaxTrailer > sendBuffer_.size()) return;
    std::copy(opus.begin(), opus.end(), sendBuffer_.begin() + static_cast<long>(*hs));
    if (transport_->sendRtp(sendBuffer_, *hs + opus.size())) ++packetsSent;
  }

  // One 20 ms frame of the tone, Opus-encoded, on our SSRC.
  void sendFrame() {
    std::vector<int16_t> pcm(rtc::kOpusFrameSamples);
    for (auto& s : pcm) s = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * phase_++ / rtc::kOpusSampleRate));
    rtc::RtpHeader h;
    h.payloadType = kOpusPt;
    h.sequenceNumber = seq_++;
    h.timestamp = ts_;
    h.ssrc = ssrc_;
    ts_ += rtc::kOpusFrameSamples;
    std::vector<uint8_t> buf(1500);
    auto hs = rtc::buildRtpHeader(h, {}, buf);
    if (!hs) return;
    const int n = encoder_->encode(pcm, std::span<uint8_t>(buf).subspan(*hs, rtc::kOpusMaxPacketBytes));
    if (n > 0) transport_->sendRtp(buf, *hs + static_cast<size_t>(n));
  }

 private:
  static constexpr uint8_t kOpusPt = 111;
  void onGatheringDone() override { gathered = true; }
  void onTransportState(rtc::TransportState s, const std::string& reason) override {
    state = s;
    if (s == rtc::TransportState::Failed) failure = reason;
  }
  void onRtp(std::span<uint8_t> packet) override {
    auto rtp = rtc::RtpPacketView::parse(packet);
    if (!rtp || rtp->payloadType() != remotePt_) return;
    ++packetsReceived;
    if (!decodeReplies) return;
    std::vector<int16_t> pcm(rtc::kOpusFrameSamples * 2);
    const int n = decoder_->decode(rtp->payload(), pcm);
    if (n > 0 && packetsReceived > 25) heard.insert(heard.end(), pcm.begin(), pcm.begin() + n);
  }
  void onDataChannelOpen(uint16_t id, const std::string&, const rtc::DataChannelOptions&) override { channel = id; }
  void onDataChannelMessage(uint16_t, std::span<const uint8_t> d, bool) override {
    std::string text(d.begin(), d.end());
    if (text.rfind("freq:", 0) != 0) echoed = text;
  }

  std::unique_ptr<rtc::WebRtcTransport> transport_;
  std::unique_ptr<rtc::OpusFrameEncoder> encoder_;
  std::unique_ptr<rtc::OpusFrameDecoder> decoder_;
  uint32_t ssrc_ = 0;
  uint8_t remotePt_ = kOpusPt;
  uint16_t seq_ = 0;
  uint32_t ts_ = 0;
  uint64_t phase_ = 0;
  std::vector<uint8_t> sendBuffer_ = std::vector<uint8_t>(1500);
};

std::string post(const std::string& url, const std::string& body, unsigned& status) {
  boost::asio::io_context io;
  common::HttpClientResult result;
  common::httpPost(io, url, {{"Content-Type", "application/sdp"}}, body, 10s,
                   [&](common::HttpClientResult r) { result = std::move(r); });
  io.run();
  status = result.status;
  return result.status ? result.body : result.error;
}

}  // namespace

// Load mode: N peers on one loop send the same pre-encoded tone at 50
// packets/s each; prints totals for the benchmark driver.
int runLoad(rtc::EventLoop& loop, const rtc::WebRtcTransportSettings& settings, const std::string& url, int streams,
            int seconds) {
  std::vector<std::unique_ptr<ClientPeer>> peers;
  std::string error;
  for (int i = 0; i < streams; ++i) {
    auto s = settings;
    s.certificate = rtc::DtlsCertificate::generate(error);
    s.dataChannels = false;
    peers.push_back(std::make_unique<ClientPeer>(loop, s));
    peers.back()->decodeReplies = false;
    if (!peers.back()->transport().start(error)) {
      std::cerr << error << "\n";
      return 1;
    }
  }
  if (!loop.runUntil([&] { return std::all_of(peers.begin(), peers.end(), [](auto& p) { return p->gathered; }); },
                     10s)) {
    std::cerr << "gathering did not finish\n";
    return 1;
  }
  for (auto& p : peers) {
    unsigned status = 0;
    const auto answer = post(url, p->offer(), status);
    if (status != 200 || !p->applyAnswer(answer, error)) {
      std::cerr << "offer failed: " << answer << error << "\n";
      return 1;
    }
  }
  auto connected = [&] {
    return std::all_of(peers.begin(), peers.end(), [](auto& p) { return p->state == rtc::TransportState::Connected; });
  };
  if (!loop.runUntil(connected, 20s)) {
    std::cerr << "not all peers connected\n";
    return 1;
  }
  std::vector<int16_t> pcm(rtc::kOpusFrameSamples);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * i / 48000.0));
  auto encoder = rtc::OpusFrameEncoder::create({}, error);
  std::vector<uint8_t> opus(rtc::kOpusMaxPacketBytes);
  opus.resize(static_cast<size_t>(encoder->encode(pcm, opus)));
  std::cout << "ready" << std::endl;  // the driver starts measuring the server here
  const auto start = std::chrono::steady_clock::now();
  for (int frame = 0; frame < seconds * 50; ++frame) {
    for (auto& p : peers) p->sendEncoded(opus);
    const auto next = start + std::chrono::milliseconds(20 * (frame + 1));
    loop.runUntil([&] { return std::chrono::steady_clock::now() >= next; }, 40ms);
  }
  loop.runFor(300ms);  // let the last echoes arrive
  size_t sent = 0, received = 0;
  for (auto& p : peers) {
    sent += p->packetsSent;
    received += p->packetsReceived;
  }
  std::cout << R"({"streams":)" << streams << R"(,"sent":)" << sent << R"(,"received":)" << received << "}"
            << std::endl;
  return 0;
}

int main(int argc, char** argv) {
  CLI::App app{"convox-rtc-client: rtc/ as an offering WebRTC client"};
  std::string url;
  std::string iceAddress = "127.0.0.1";
  std::string srtp;
  int seconds = 3;
  int streams = 0;
  app.add_option("--url", url, "where to POST the offer")->required();
  app.add_option("--streams", streams, "load mode: this many peers sending pre-encoded audio");
  app.add_option("--ice-address", iceAddress, "local address for ICE");
  app.add_option("--srtp", srtp, "gcm, aescm or empty for both");
  app.add_option("--seconds", seconds, "how long to send audio");
  CLI11_PARSE(app, argc, argv);

  std::string error;
  rtc::EventLoop loop;
  rtc::WebRtcTransportSettings settings;
  settings.ice.role = rtc::IceRole::Controlling;
  settings.ice.localAddresses = {iceAddress};
  settings.certificate = rtc::DtlsCertificate::generate(error);
  if (srtp == "gcm") settings.srtpProfiles = {rtc::SrtpProfile::AeadAes128Gcm};
  if (srtp == "aescm") settings.srtpProfiles = {rtc::SrtpProfile::Aes128CmHmacSha1_80};
  if (streams > 0) return runLoad(loop, settings, url, streams, seconds);
  ClientPeer peer(loop, settings);
  auto fail = [&](const std::string& why) {
    std::cout << R"({"connected":false,"error":")" << why << "\"}" << std::endl;
    return 1;
  };
  if (!peer.transport().start(error)) return fail(error);
  if (!loop.runUntil([&] { return peer.gathered; }, 5s)) return fail("ICE gathering did not finish");
  unsigned status = 0;
  const auto answer = post(url, peer.offer(), status);
  if (status != 200) return fail("offer refused: " + answer);
  if (!peer.applyAnswer(answer, error)) return fail(error);
  if (!loop.runUntil([&] { return peer.state == rtc::TransportState::Connected || !peer.failure.empty(); }, 10s) ||
      peer.state != rtc::TransportState::Connected) {
    return fail("not connected: " + peer.failure);
  }
  peer.channel = peer.transport().openDataChannel("echo", {});
  if (!peer.channel) return fail("cannot open a data channel");
  const std::string hello = "hello from convox rtc client";
  // Pace one frame every 20 ms.
  const int frames = seconds * 50;
  for (int i = 0; i < frames; ++i) {
    peer.sendFrame();
    if (i == 10)
      peer.transport().sendData(*peer.channel, {reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}, false);
    loop.runFor(20ms);
  }
  loop.runUntil([&] { return !peer.echoed.empty(); }, 3s);
  const double hz = peer.heard.empty() ? 0 : tools::dominantFrequency(peer.heard);
  const auto profile = peer.transport().srtpProfile();
  std::cout << R"({"connected":true,"srtp":")" << (profile ? rtc::srtpProfileName(*profile) : "") << R"(","echo":")"
            << peer.echoed << R"(","frequency":)" << hz << R"(,"packets":)" << peer.packetsReceived << "}" << std::endl;
  return 0;
}
