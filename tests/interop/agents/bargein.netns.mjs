// Barge-in end to end, with real peers: convox-server --dev with its built-in
// convox-worker, the demo receptionist, and an unmodified @livekit/rtc-node
// caller that talks over the agent's (long) first message.
//  - "Wait, stop, stop." interrupts it: the agent's audio stops within
//    200 ms of the user's speech start (the worker's own timestamps, stored
//    with the turns), the agent turn is stored as interrupted with the words
//    actually played, and the agent answers the user.
//  - A 150 ms beep pauses it only briefly: the message resumes where it
//    paused, is heard to its end, and is not stored as interrupted.
// Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AudioStream, Room, RoomEvent, TrackKind, dispose } from '@livekit/rtc-node';
import { media, repoRoot } from '../lib/browser.mjs';
import { RATE, frameRms, publishMicrophone, startVoiceServer, wavSamples } from '../lib/voice_call.mjs';

const LOUD = 500; // RMS of a 10 ms frame of the agent's speech; silence and Opus comfort noise stay far below
const demo = JSON.parse(readFileSync(path.join(repoRoot, 'worker/demo/receptionist.json'), 'utf8'));
let server;
let api;
let until;

before(async () => {
  ({ server, api, until } = await startVoiceServer());
});

after(async () => {
  await server?.stop();
  await dispose();
});

// A call to the demo receptionist: the agent's audio as RMS per received
// 10 ms frame with its arrival time, the captions, the agent's states.
async function callReceptionist() {
  const call = await api('POST', '/v1/calls', { agent_id: demo.id, identity: 'caller' });
  assert.equal(call.status, 201, call.text);
  const room = new Room();
  const frames = [];
  const captions = [];
  const states = [];
  room.registerTextStreamHandler('lk.transcription', async (reader, { identity }) => {
    captions.push({ identity, text: await reader.readAll() });
  });
  room.on(RoomEvent.ParticipantAttributesChanged, (changed) => {
    if (changed['lk.agent.state']) states.push(changed['lk.agent.state']);
  });
  room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
    if (track.kind !== TrackKind.KIND_AUDIO || !participant.identity.startsWith('agent-')) return;
    (async () => {
      for await (const frame of new AudioStream(track, RATE, 1)) frames.push({ at: Date.now(), rms: frameRms(frame.data)[0] ?? 0 });
    })();
  });
  await room.connect(server.wsUrl, call.json.token, { autoSubscribe: true, dynacast: false });
  // A short send queue, so a clip leaves close to when it is captured.
  const mic = await publishMicrophone(room, { queueMs: 100 });
  const turns = async () => (await api('GET', `/v1/conversations/${call.json.conversation_id}/turns`)).json?.turns ?? [];
  return { call, room, mic, frames, captions, states, turns };
}

// Waits until the agent has been heard speaking for `ms`.
async function heardSpeakingFor(c, ms) {
  await until(() => c.frames.some((f) => f.rms > LOUD), 'the first message as audio');
  const first = c.frames.find((f) => f.rms > LOUD).at;
  await until(() => c.frames.at(-1).at - first >= ms, `${ms} ms of the first message`);
}

// The quiet gaps (runs of frames below LOUD) in the agent's audio from `from` on, longest first.
function quietGaps(frames, from, to) {
  const gaps = [];
  let start;
  for (const f of frames.filter((x) => x.at >= from && x.at <= to)) {
    if (f.rms <= LOUD) start ??= f.at;
    else if (start !== undefined) {
      gaps.push({ start, end: f.at, ms: f.at - start });
      start = undefined;
    }
  }
  return gaps.sort((a, b) => b.ms - a.ms);
}

test('"wait, stop, stop" over the first message: the audio stops within 200 ms, the turn is interrupted with what was said, the agent answers', async () => {
  const c = await callReceptionist();
  try {
    await heardSpeakingFor(c, 1500);
    const clip = wavSamples(media('interrupt_stop.wav'));
    const onset = frameRms(clip).findIndex((r) => r > 300); // the first frame of speech in the clip
    const { sentAt } = await c.mic.play(clip);
    const speechSentAt = sentAt[onset];

    const turns = await until(async () => {
      const list = await c.turns();
      const cut = list.find((t) => t.role === 'agent' && t.interrupted);
      const user = list.find((t) => t.role === 'user' && /stop/.test(t.text));
      const answer = user && list.find((t) => t.role === 'agent' && t.started_at > user.started_at);
      return cut && user && answer ? { list, cut, user, answer } : undefined;
    }, 'the interrupted turn, the user turn and the answer', 30000);
    const { cut, user, answer } = turns;

    // The worker's figure: from the user's speech start as its VAD placed it
    // to the last frame of the agent's audio it sent.
    assert.equal(typeof user.timings.user_speech_start, 'number', JSON.stringify(user));
    assert.equal(typeof cut.timings.playout_end, 'number', JSON.stringify(cut));
    const workerMs = cut.timings.playout_end - user.timings.user_speech_start;
    // The caller's figure: from the estimated send time of the clip's first
    // speech frame to the arrival of the agent's last loud frame before its
    // silence (at least 800 ms, longer than espeak's pauses between sentences).
    const gap = quietGaps(c.frames, speechSentAt, speechSentAt + 5000).find((g) => g.ms >= 800);
    assert.ok(gap, 'the agent fell silent after the user spoke');
    const lastLoud = c.frames.filter((f) => f.at < gap.start && f.rms > LOUD).at(-1);
    const callerMs = lastLoud.at - speechSentAt;
    console.log(`barge-in: the agent's audio stopped ${workerMs} ms after the user's speech start (worker: turn timings, ` +
      `VAD speech start -> last frame sent; excludes the network and the worker's 60 ms jitter buffer, includes the ` +
      `VAD's ~100 ms of voice and the 20 ms tick); caller: ${callerMs} ms from sending the first speech frame to the last ` +
      `loud agent frame received (adds both network legs, the SFU, the worker's jitter buffer and the caller's own)`);
    // No lower bound: user_speech_start is back-dated on the worker's stream
    // clock (20 ms of audio per tick) while playout_end is wall time. On a
    // loaded machine the media thread can stall between its last frame sent
    // and the tick whose VAD decision pauses the audio; the stream then
    // counts less time than passed, the back-dated start lands after the
    // last frame and the difference is negative (the audio stopped "before"
    // the speech), which is within the aim, not a failure.
    assert.ok(workerMs <= 200, `the worker's figure, ${workerMs} ms, is above the 200 ms aim`);

    // Interrupted with what was played, which is a start of the first message.
    const words = (s) => s.toLowerCase().replace(/[^a-z ]/g, '').split(/\s+/).filter(Boolean);
    const said = words(cut.text);
    const whole = words(demo.first_message);
    console.log(`barge-in: the interrupted turn is stored as "${cut.text}" (${said.length} of ${whole.length} words)`);
    assert.ok(said.length > 0 && said.length < whole.length, `stored text: "${cut.text}"`);
    assert.deepEqual(said, whole.slice(0, said.length), `stored text: "${cut.text}"`);
    // The caption follows the audio: it too ends at the last word heard.
    const caption = await until(() => c.captions.find((x) => x.identity.startsWith('agent-')), 'the cut caption');
    assert.equal(caption.text, cut.text);
    // The agent answers what the user said: the demo's "pause" intent.
    assert.match(answer.text, /what would you like/i);
    assert.equal(answer.interrupted, false);
    await until(() => c.frames.some((f) => f.at > gap.end && f.rms > LOUD), 'the answer as audio');
  } finally {
    await c.mic.stop();
    await c.room.disconnect();
  }
});

test('a 150 ms beep over the first message: the agent pauses briefly and resumes, the message is whole and not interrupted', async () => {
  const c = await callReceptionist();
  try {
    await heardSpeakingFor(c, 1500);
    // A 1 kHz beep at half scale: the VAD takes it for voice.
    const beep = new Int16Array(RATE * 0.15).map((_, i) => Math.round(16384 * Math.sin((2 * Math.PI * 1000 * i) / RATE)));
    const { sentAt } = await c.mic.play(beep);
    const beepAt = sentAt[0];

    await until(() => c.states.at(-1) === 'listening', 'the end of the first message', 30000);
    const list = await until(async () => {
      const l = await c.turns();
      return l.some((t) => t.role === 'agent') ? l : undefined;
    }, 'the first message turn');
    const first = list.find((t) => t.role === 'agent');
    assert.equal(first.interrupted, false, JSON.stringify(first));
    assert.equal(first.text, demo.first_message);
    assert.ok(!list.some((t) => t.role === 'user'), `the beep is not a turn: ${JSON.stringify(list)}`);
    const caption = c.captions.find((x) => x.identity.startsWith('agent-'));
    assert.equal(caption?.text, demo.first_message);
    // The rest of the message was heard: speech well after the beep.
    assert.ok(c.frames.some((f) => f.at > beepAt + 2000 && f.rms > LOUD), 'the message went on after the beep');
    const pause = quietGaps(c.frames, beepAt, beepAt + 1500)[0];
    console.log(`beep: the longest silence in the agent's audio within 1.5 s of the beep was ${pause?.ms ?? 0} ms ` +
      `(caller's clock; includes espeak's own pauses between words)`);
    // The beep paused the agent (a gap of a few frames at least) and only
    // briefly (well under the false-interruption timeout; generous for a
    // loaded CI machine: the caller's clock adds both network legs).
    assert.ok(pause, 'no silence in the agent\'s audio after the beep');
    assert.ok(pause.ms >= 60, `the agent did not pause for the beep: the longest silence was ${pause.ms} ms`);
    assert.ok(pause.ms <= 800, `the agent paused ${pause.ms} ms for a 150 ms beep`);
  } finally {
    await c.mic.stop();
    await c.room.disconnect();
  }
});
