// @livekit/rtc-node (the Rust SDK through its FFI) against convox-server:
// one participant publishes a synthetic 440 Hz sine through AudioSource,
// another subscribes and checks the AudioFrames it receives (frequency, no
// gap over 100 ms). The track_published / track_unpublished webhooks are
// checked on the way. Run inside tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Room,
  RoomEvent,
  AudioSource,
  AudioFrame,
  AudioStream,
  LocalAudioTrack,
  TrackPublishOptions,
  TrackSource,
  TrackKind,
  dispose,
} from '@livekit/rtc-node';
import { WebhookReceiver } from 'livekit-server-sdk';
import { startServer, API_KEY, API_SECRET } from '../lib/server.mjs';
import { joinToken } from '../lib/signal.mjs';

let server;
let hooks;
const events = [];

before(async () => {
  const verifier = new WebhookReceiver(API_KEY, API_SECRET);
  hooks = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      events.push(await verifier.receive(body, req.headers.authorization));
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => hooks.listen(0, '127.0.0.1', r));
  server = await startServer({
    config:
      'rtc:\n  interfaces: [10.77.0.1]\n' +
      `webhook:\n  api_key: ${API_KEY}\n  urls:\n    - http://127.0.0.1:${hooks.address().port}/\n`,
  });
});

after(async () => {
  await server?.stop();
  hooks?.close();
  await dispose();
});

const RATE = 48000;
const FRAME = RATE / 100; // 10 ms

// Dominant frequency by counting rising zero crossings.
function frequency(samples, rate) {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 && samples[i] >= 0) crossings++;
  return (crossings * rate) / samples.length;
}

test('rtc-node: a sine published through AudioSource arrives as AudioFrames at 440 Hz without gaps', async () => {
  const publisher = new Room();
  const subscriber = new Room();
  await publisher.connect(server.wsUrl, await joinToken('node-room', 'sine'), { autoSubscribe: false, dynacast: false });
  await subscriber.connect(server.wsUrl, await joinToken('node-room', 'listener'), { autoSubscribe: true, dynacast: false });

  const source = new AudioSource(RATE, 1);
  const track = LocalAudioTrack.createAudioTrack('sine', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const publication = await publisher.localParticipant.publishTrack(track, options);
  assert.match(publication.sid, /^TR_/);

  let sending = true;
  const pump = (async () => {
    let n = 0;
    while (sending) {
      const data = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++, n++) data[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * n) / RATE));
      await source.captureFrame(new AudioFrame(data, RATE, 1, FRAME));
    }
  })();

  const remote = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no TrackSubscribed')), 15000);
    subscriber.on(RoomEvent.TrackSubscribed, (t, pub, participant) => {
      if (t.kind === TrackKind.KIND_AUDIO && participant.identity === 'sine') {
        clearTimeout(timer);
        resolve(t);
      }
    });
  });

  // Three seconds of frames, after the first second (jitter buffer warm-up).
  const stream = new AudioStream(remote, RATE, 1);
  const samples = [];
  const arrivals = [];
  const t0 = Date.now();
  for await (const frame of stream) {
    const now = Date.now();
    if (now - t0 > 1000) {
      arrivals.push(now);
      samples.push(...frame.data);
    }
    if (now - t0 > 4000) break;
  }
  sending = false;
  await pump;

  const hz = frequency(samples, RATE);
  assert.ok(Math.abs(hz - 440) < 10, `received ${hz.toFixed(1)} Hz`);
  const rms = Math.sqrt(samples.reduce((a, x) => a + x * x, 0) / samples.length);
  assert.ok(rms > 3000, `received rms ${rms.toFixed(0)}`);
  let gap = 0;
  for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i] - arrivals[i - 1]);
  assert.ok(gap <= 100, `longest gap between frames ${gap} ms`);
  assert.ok(samples.length >= RATE * 2.5, `${samples.length} samples in 3 s`);

  await publisher.localParticipant.unpublishTrack(publication.sid);
  const deadline = Date.now() + 10000;
  while (!events.some((e) => e.event === 'track_unpublished') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const published = events.find((e) => e.event === 'track_published');
  assert.ok(published, `events: ${events.map((e) => e.event)}`);
  assert.equal(published.track.sid, publication.sid);
  assert.equal(published.participant.identity, 'sine');
  assert.equal(published.track.mimeType, 'audio/opus');
  const unpublished = events.find((e) => e.event === 'track_unpublished');
  assert.ok(unpublished, `events: ${events.map((e) => e.event)}`);
  assert.equal(unpublished.track.sid, publication.sid);

  await subscriber.disconnect();
  await publisher.disconnect();
});
