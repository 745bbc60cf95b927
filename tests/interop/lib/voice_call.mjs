// What the voice-agent tests share: WAV samples, the control API with the
// dev key, polling, and an @livekit/rtc-node microphone that plays clips in
// real time (silence between them).
import { readFileSync } from 'node:fs';
import { AudioFrame, AudioSource, LocalAudioTrack, TrackPublishOptions, TrackSource } from '@livekit/rtc-node';

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

// The control API of `server` with the dev key: api(method, path, body).
export function controlApi(server) {
  return async (method, pathname, body) => {
    const headers = { authorization: `Bearer ${DEV_KEY}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.httpUrl + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
}

// Polls fn until it returns something truthy; the error carries the end of the server's log.
export async function until(server, fn, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nserver log:\n${server.stderr.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Publishes a microphone that sends silence, or the clip given to play().
// queueMs: the SDK's send queue; play() resolves with {done, sentAt}, where
// sentAt[i] estimates when the clip's i-th 10 ms frame left the queue (its
// capture time plus the audio the SDK had queued ahead of it).
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
  return {
    play(samples) {
      const frames = [];
      for (let i = 0; i + FRAME <= samples.length; i += FRAME) frames.push(samples.slice(i, i + FRAME));
      sentAt = [];
      queue = frames;
      const times = sentAt;
      return new Promise((resolve) => {
        const wait = () => (queue.length ? setTimeout(wait, 20) : resolve({ done: Date.now(), sentAt: times }));
        wait();
      });
    },
    async stop() {
      running = false;
      await pump;
    },
  };
}
