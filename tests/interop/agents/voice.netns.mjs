// The whole voice path, end to end, with real peers: convox-server --dev and
// its built-in convox-worker, the demo receptionist on the offline cascade
// (PocketSphinx, the dialog engine, espeak-ng), and an unmodified
// @livekit/rtc-node caller that speaks the generated prompts into its
// microphone. Checks what an SDK user sees: the agent's first message as
// audio energy, lk.agent.state, both sides' lk.transcription captions (the
// user's sent on the user's behalf), the reply to the request, the stored
// turns, and the call ended by "goodbye" with its results.
// Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AudioStream, Room, RoomEvent, TrackKind, dispose } from '@livekit/rtc-node';
import { startServer } from '../lib/server.mjs';
import { media, repoRoot } from '../lib/browser.mjs';
import { RATE, controlApi, publishMicrophone, until as untilOn, wavSamples } from '../lib/voice_call.mjs';

let server;
let api;
const until = (fn, what, timeoutMs) => untilOn(server, fn, what, timeoutMs);

before(async () => {
  server = await startServer({ builtinWorker: true, args: ['--log-level', process.env.CONVOX_VOICE_LOG ?? 'info'], config: 'rtc:\n  interfaces: [10.77.0.1]\n' });
  api = controlApi(server);
  await until(() => /registered as AW_/.test(server.stderr), 'the built-in worker');
  // --dev seeded the demo receptionist, as worker/demo/receptionist.json has it.
  const demo = JSON.parse(readFileSync(path.join(repoRoot, 'worker/demo/receptionist.json'), 'utf8'));
  const seeded = await api('GET', `/v1/agents/${demo.id}`);
  assert.equal(seeded.status, 200, seeded.text);
  assert.equal(seeded.json.first_message, demo.first_message);
  assert.deepEqual(seeded.json.dialog, demo.dialog);
});

after(async () => {
  await server?.stop();
  await dispose();
});

test('a caller on @livekit/rtc-node talks to the demo receptionist: first message, captions, a reply, turns, goodbye ends the call', async () => {
  const call = await api('POST', '/v1/calls', { agent_id: 'demo-receptionist', identity: 'caller' });
  assert.equal(call.status, 201, call.text);
  const room = new Room();
  const captions = [];
  room.registerTextStreamHandler('lk.transcription', async (reader, { identity }) => {
    const text = await reader.readAll();
    captions.push({ identity, text, final: reader.info.attributes?.['lk.transcription_final'] });
  });
  const states = [];
  room.on(RoomEvent.ParticipantAttributesChanged, (changed, participant) => {
    if (changed['lk.agent.state']) states.push({ state: changed['lk.agent.state'], at: Date.now(), identity: participant.identity });
  });
  // The agent's audio: RMS per 100 ms, with the time it arrived.
  const loud = [];
  room.on(RoomEvent.TrackSubscribed, (track, _pub, participant) => {
    if (track.kind !== TrackKind.KIND_AUDIO || !participant.identity.startsWith('agent-')) return;
    (async () => {
      let sum = 0;
      let n = 0;
      for await (const frame of new AudioStream(track, RATE, 1)) {
        for (const x of frame.data) sum += x * x;
        n += frame.data.length;
        if (n >= RATE / 10) {
          loud.push({ at: Date.now(), rms: Math.sqrt(sum / n) });
          sum = 0;
          n = 0;
        }
      }
    })();
  });
  const connectedAt = Date.now();
  await room.connect(server.wsUrl, call.json.token, { autoSubscribe: true, dynacast: false });

  // Our microphone: silence, and a prompt when we say so, in real time.
  const mic = await publishMicrophone(room);
  const speak = async (name) => (await mic.play(wavSamples(media(name)))).done;
  const heardSince = (t) => loud.some((w) => w.at > t && w.rms > 500);
  try {
    // The agent joins and speaks its first message.
    await until(() => heardSince(connectedAt), 'the first message as audio');
    assert.ok(states.some((s) => s.state === 'speaking'), `states: ${JSON.stringify(states)}`);
    await until(() => captions.some((c) => c.identity.startsWith('agent-') && /convox demo clinic/i.test(c.text)), 'the first message caption');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its first message');

    // The request, and the reply to it.
    const spokeUntil = await speak('book_appointment.wav');
    const userCaption = await until(() => captions.find((c) => c.identity === 'caller' && /appointment/.test(c.text)), 'the user caption');
    assert.equal(userCaption.final, 'true');
    await until(() => heardSince(spokeUntil), 'the reply as audio');
    await until(() => captions.some((c) => c.identity.startsWith('agent-') && /appointment/i.test(c.text) && c.text !== userCaption.text), 'the reply caption');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its reply', 30000);

    const turns = await until(async () => {
      const t = await api('GET', `/v1/conversations/${call.json.conversation_id}/turns`);
      const list = t.json?.turns ?? [];
      return list.some((x) => x.role === 'user' && /appointment/.test(x.text)) && list.filter((x) => x.role === 'agent').length >= 2 ? list : undefined;
    }, 'the stored turns');
    const user = turns.find((x) => x.role === 'user');
    assert.ok(user.timings.user_speech_end > user.timings.user_speech_start, JSON.stringify(user));
    const reply = turns.filter((x) => x.role === 'agent').at(-1);
    assert.ok(reply.timings.first_packet_out >= reply.timings.stt_final, JSON.stringify(reply));
    assert.equal(typeof reply.latency_ms.voice_to_voice, 'number', JSON.stringify(reply));
    console.log(`voice-to-voice latency of the reply (ms): ${JSON.stringify(reply.latency_ms)}`);

    // Goodbye ends the call, with the results the dialog collected.
    await speak('goodbye.wav');
    const ended = await until(async () => {
      const c = await api('GET', `/v1/conversations/${call.json.conversation_id}`);
      return c.json?.status === 'ended' ? c.json : undefined;
    }, 'the call to end', 30000);
    assert.equal(ended.end_reason, 'agent_ended');
    assert.equal(ended.results.wants_appointment, true, JSON.stringify(ended.results));
  } finally {
    await mic.stop();
    await room.disconnect();
  }
});
