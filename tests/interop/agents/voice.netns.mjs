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
import { dispose } from '@livekit/rtc-node';
import { repoRoot } from '../lib/browser.mjs';
import { joinCall, startVoiceServer } from '../lib/voice_call.mjs';

let server;
let api;
let until;

before(async () => {
  ({ server, api, until } = await startVoiceServer());
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
  // Our microphone: silence, and a prompt when we say so, in real time.
  const { call, mic, captions, states, heardSince, connectedAt, hangUp } = await joinCall({ server, api }, { agent_id: 'demo-receptionist', identity: 'caller' });
  const speak = (name) => mic.speak(name);
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
      const t = await api('GET', `/v1/conversations/${call.conversation_id}/turns`);
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
      const c = await api('GET', `/v1/conversations/${call.conversation_id}`);
      return c.json?.status === 'ended' ? c.json : undefined;
    }, 'the call to end', 30000);
    assert.equal(ended.end_reason, 'agent_ended');
    assert.equal(ended.results.wants_appointment, true, JSON.stringify(ended.results));
  } finally {
    await hangUp();
  }
});
