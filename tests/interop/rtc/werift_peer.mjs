// An independent WebRTC stack (werift, pure TypeScript) as an echo peer:
// POST /offer with an SDP offer -> answer. Audio RTP is sent straight back
// on its own track; data-channel messages come back prefixed "echo:".
import '../lib/contain.mjs';
import http from 'node:http';
import { RTCPeerConnection, MediaStreamTrack } from 'werift';

export async function startWeriftPeer() {
  const peers = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      try {
        const pc = new RTCPeerConnection({
          iceServers: [],
          iceUseIpv6: false,
          iceInterfaceAddresses: { udp4: '10.77.0.1' },
        });
        peers.push(pc);
        const echoTrack = new MediaStreamTrack({ kind: 'audio' });
        pc.ontrack = ({ track, transceiver }) => {
          transceiver.sender.replaceTrack(echoTrack);
          track.onReceiveRtp.subscribe((rtp) => echoTrack.writeRtp(rtp));
        };
        pc.ondatachannel = ({ channel }) => {
          channel.onMessage.subscribe((msg) => channel.send(`echo:${msg.toString()}`));
        };
        await pc.setRemoteDescription({ type: 'offer', sdp: body });
        await pc.setLocalDescription(await pc.createAnswer());
        for (let i = 0; i < 100 && pc.iceGatheringState !== 'complete'; i++) await new Promise((r) => setTimeout(r, 50));
        res.writeHead(200, { 'Content-Type': 'application/sdp' }).end(pc.localDescription.sdp);
      } catch (e) {
        res.writeHead(400).end(String(e?.stack ?? e));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/offer`,
    async close() {
      for (const pc of peers) await pc.close().catch(() => {});
      server.close();
    },
  };
}
