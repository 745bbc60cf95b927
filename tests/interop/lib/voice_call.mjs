// What the voice-agent tests share: a prompt's samples, the control API with
// the dev key, polling with a reason, and a caller's microphone on
// @livekit/rtc-node that plays silence, or a prompt when asked, in real time.
import { readFileSync } from 'node:fs';
import { AudioFrame, AudioSource, LocalAudioTrack, TrackPublishOptions, TrackSource } from '@livekit/rtc-node';
import { media } from './browser.mjs';

export const DEV_KEY = 'convox-dev-key';
export const RATE = 48000;
const FRAME = 480; // 10 ms

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

// A control API caller for `server` (lib/server.mjs) with the dev key.
export function apiOf(server, key = DEV_KEY) {
  return async (method, pathname, body) => {
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.httpUrl + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
}

// Polls `fn` until it returns something truthy; the error names `what` and
// ends with `context()` (e.g. the server's log).
export async function until(fn, what, timeoutMs = 20000, context = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Publishes a microphone on `room`: silence, and a prompt when speak(name)
// is called (it resolves with the time the prompt's last frame went out).
export async function publishMicrophone(room) {
  const source = new AudioSource(RATE, 1);
  const mic = LocalAudioTrack.createAudioTrack('microphone', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant.publishTrack(mic, options);
  let queue = [];
  let running = true;
  const pump = (async () => {
    while (running) {
      const frame = queue.length ? queue.shift() : new Int16Array(FRAME);
      await source.captureFrame(new AudioFrame(frame, RATE, 1, FRAME));
    }
  })();
  return {
    speak(name) {
      const samples = wavSamples(media(name));
      const frames = [];
      for (let i = 0; i + FRAME <= samples.length; i += FRAME) frames.push(samples.slice(i, i + FRAME));
      queue = frames;
      return new Promise((resolve) => {
        const wait = () => (queue.length ? setTimeout(wait, 20) : resolve(Date.now()));
        wait();
      });
    },
    async stop() {
      running = false;
      await pump;
    },
  };
}
