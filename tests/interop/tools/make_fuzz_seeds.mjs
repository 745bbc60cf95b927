// Writes seed inputs for the signal-request fuzzer (tests/fuzz/corpus/signal_request):
// real SignalRequest messages as @livekit/protocol encodes them. The first
// byte selects binary (even) or JSON text (odd), as the fuzz target reads it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignalRequest, SessionDescription, TrickleRequest, AddTrackRequest, Ping, UpdateParticipantMetadata, LeaveRequest, TrackType } from '@livekit/protocol';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fuzz/corpus/signal_request');
const seeds = {
  offer: { case: 'offer', value: new SessionDescription({ type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n', id: 1 }) },
  trickle: { case: 'trickle', value: new TrickleRequest({ candidateInit: '{"candidate":"candidate:1 1 udp 1 10.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}' }) },
  addTrack: { case: 'addTrack', value: new AddTrackRequest({ cid: 'c1', name: 'mic', type: TrackType.AUDIO }) },
  pingReq: { case: 'pingReq', value: new Ping({ timestamp: 1n, rtt: 2n }) },
  metadata: { case: 'updateMetadata', value: new UpdateParticipantMetadata({ metadata: 'm', attributes: { a: 'b' }, requestId: 3 }) },
  leave: { case: 'leave', value: new LeaveRequest({ reason: 1 }) },
};
for (const [name, message] of Object.entries(seeds)) {
  const req = new SignalRequest({ message });
  writeFileSync(path.join(dir, `${name}.bin`), Buffer.concat([Buffer.from([0]), Buffer.from(req.toBinary())]));
  writeFileSync(path.join(dir, `${name}.json`), Buffer.concat([Buffer.from([1]), Buffer.from(req.toJsonString())]));
}
console.log(`wrote ${Object.keys(seeds).length * 2} seeds to ${dir}`);
