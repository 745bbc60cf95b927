// What the voice tests share: a caller's microphone on @livekit/rtc-node
// that speaks the generated prompts in real time, what the caller sees of
// the agent, the control API with the dev key, and polling with the
// server's log in the failure.
import { readFileSync } from 'node:fs';
import { AudioFrame, AudioSource, AudioStream, LocalAudioTrack, RoomEvent, TrackKind, TrackPublishOptions, TrackSource } from '@livekit/rtc-node';
import { media } from './browser.mjs';

export const DEV_KEY = 'convox-dev-key';
export const RATE = 48000;
export const FRAME = 480; // 10 ms

// The samples of a 48 kHz mono 16-bit WAV (what make_media.sh writes).
export function wavSamples(file) {
  const bytes = readFileSync(file);
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString('ascii', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === 'data') return new Int16Array(bytes.buffer.slice(bytes.byteOffset + at + 8, bytes.byteOffset + at + 8 + size));
    at += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

// RMS of each 10 ms frame.
export function frameRms(samples) {
  const out = [];
  for (let i = 0; i + FRAME <= samples.length; i += FRAME) {
    let sum = 0;
    for (let j = i; j < i + FRAME; ++j) sum += samples[j] * samples[j];
    out.push(Math.sqrt(sum / FRAME));
  }
  return out;
}

// api(method, path, body) against `server` (lib/server.mjs) with `key`.
export function apiOf(server, key = DEV_KEY) {
  return async (method, pathname, body) => {
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.httpUrl + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
}

// Polls `fn` every 100 ms until it returns something truthy; the error
// names `what` and ends with `context()` (e.g. the server's log).
export async function until(fn, what, timeoutMs = 20000, context = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// { api, until(fn, what, timeoutMs) } for `server`, the failure carrying its log.
export function callTools(server, key = DEV_KEY) {
  return {
    api: apiOf(server, key),
    until: (fn, what, timeoutMs) => until(fn, what, timeoutMs, () => `server log:\n${server.stderr.slice(-4000)}`),
  };
}

// Publishes a microphone on `room` that sends silence, or a prompt when told:
// speak(name) resolves with the time its last frame was captured; play(samples)
// with {done, sentAt}, where sentAt[i] estimates when the clip's i-th 10 ms
// frame left the SDK's send queue of `queueMs` (its capture time plus the
// audio queued ahead of it); stop() ends it.
export async function publishMicrophone(room, { queueMs = 1000 } = {}) {
  const source = new AudioSource(RATE, 1, queueMs);
  const track = LocalAudioTrack.createAudioTrack('microphone', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant.publishTrack(track, options);
  let queue = [];
  let sentAt = [];
  let running = true;
  const pump = (async () => {
    while (running) {
      const item = queue.length ? queue.shift() : undefined;
      if (item) sentAt.push(Date.now() + source.queuedDuration);
      await source.captureFrame(new AudioFrame(item ?? new Int16Array(FRAME), RATE, 1, FRAME));
    }
  })();
  const play = (samples) => {
    const frames = [];
    for (let i = 0; i + FRAME <= samples.length; i += FRAME) frames.push(samples.slice(i, i + FRAME));
    sentAt = [];
    queue = frames;
    const times = sentAt;
    return new Promise((resolve) => {
      const wait = () => (queue.length ? setTimeout(wait, 20) : resolve({ done: Date.now(), sentAt: times }));
      wait();
    });
  };
  return {
    play,
    speak: async (name) => (await play(wavSamples(media(name)))).done,
    async stop() {
      running = false;
      await pump;
    },
  };
}

// What a caller sees of the agent, from before room.connect(): lk.transcription
// captions of both sides, lk.agent.state changes, and the agents' audio as RMS
// per 100 ms, each with the time it arrived and who sent it.
export function watchAgent(room) {
  const captions = [];
  room.registerTextStreamHandler('lk.transcription', async (reader, { identity }) => {
    const text = await reader.readAll();
    captions.push({ identity, text, final: reader.info.attributes?.['lk.transcription_final'], at: Date.now() });
  });
  const states = [];
  room.on(RoomEvent.ParticipantAttributesChanged, (changed, participant) => {
    if (changed['lk.agent.state']) states.push({ state: changed['lk.agent.state'], at: Date.now(), identity: participant.identity, sid: participant.sid });
  });
  const loud = [];
  room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
    if (track.kind !== TrackKind.KIND_AUDIO || !participant.identity.startsWith('agent-')) return;
    const sid = participant.sid;
    (async () => {
      let sum = 0;
      let n = 0;
      for await (const frame of new AudioStream(track, RATE, 1)) {
        for (const x of frame.data) sum += x * x;
        n += frame.data.length;
        if (n >= RATE / 10) {
          loud.push({ at: Date.now(), rms: Math.sqrt(sum / n), sid });
          sum = 0;
          n = 0;
        }
      }
    })();
  });
  const heardSince = (t) => loud.some((w) => w.at > t && w.rms > 500);
  return { captions, states, loud, heardSince };
}

// convox-server --dev on the test namespace's address with its built-in
// worker, once the worker has registered: { server, api, until }.
export async function startVoiceServer({ args = [], env } = {}) {
  const { startServer } = await import('./server.mjs');
  const server = await startServer({
    builtinWorker: true,
    args: ['--log-level', process.env.CONVOX_VOICE_LOG ?? 'info', ...args],
    config: 'rtc:\n  interfaces: [10.77.0.1]\n',
    env,
  });
  const tools = callTools(server);
  await tools.until(() => /registered as AW_/.test(server.stderr), 'the built-in worker');
  return { server, ...tools };
}

// POST /v1/calls with `body`, then a caller on @livekit/rtc-node joins with
// the call's token and publishes its microphone: the call, the room, the
// microphone, and what the caller sees of the agent (watchAgent).
export async function joinCall({ server, api }, body) {
  const { Room } = await import('@livekit/rtc-node');
  const call = await api('POST', '/v1/calls', body);
  if (call.status !== 201) throw new Error(`POST /v1/calls: ${call.status} ${call.text}`);
  const room = new Room();
  const seen = watchAgent(room);
  const connectedAt = Date.now();
  await room.connect(server.wsUrl, call.json.token, { autoSubscribe: true, dynacast: false });
  const mic = await publishMicrophone(room);
  return {
    call: call.json,
    room,
    mic,
    connectedAt,
    ...seen,
    async hangUp() {
      await mic.stop();
      await room.disconnect();
    },
  };
}
