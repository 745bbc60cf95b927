// The worker's /metrics against what it stored, with a real peer:
// convox-server --dev and its built-in convox-worker (metrics on a port
// given through CONVOX_WORKER_METRICS_PORT, which the supervised child
// inherits), the demo receptionist on the offline cascade, and an
// unmodified @livekit/rtc-node caller saying book_appointment.wav. After the
// reply is stored, each stage histogram holds exactly the gaps between that
// turn's stored timestamps, and voice-to-voice its latency_ms.
// Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dispose } from '@livekit/rtc-node';
import { freePort } from '../lib/server.mjs';
import { joinCall, startVoiceServer } from '../lib/voice_call.mjs';

let server;
let api;
let until;
let metricsPort;

// name{labels} value lines of a Prometheus text page, as a map.
function samples(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

before(async () => {
  metricsPort = await freePort();
  ({ server, api, until } = await startVoiceServer({ env: { CONVOX_WORKER_METRICS_PORT: String(metricsPort) } }));
});

after(async () => {
  await server?.stop();
  await dispose();
});

test('the worker /metrics holds the stored reply turn stage by stage', async () => {
  const scrape = async () => samples(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
  const before = await scrape();
  assert.equal(before.get('convox_worker_voice_to_voice_seconds_count'), 0, 'no turn yet');
  assert.equal(before.get('convox_worker_active_calls'), 0);

  const { call, states, heardSince, connectedAt, mic, hangUp } = await joinCall({ server, api }, { agent_id: 'demo-receptionist', identity: 'caller' });
  try {
    await until(() => heardSince(connectedAt), 'the first message as audio');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its first message');
    const during = await scrape();
    assert.equal(during.get('convox_worker_active_calls'), 1);
    assert.equal(during.get('convox_worker_calls_started_total'), 1);

    const spokeUntil = await mic.speak('book_appointment.wav');
    await until(() => heardSince(spokeUntil), 'the reply as audio');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its reply', 30000);
    const reply = await until(async () => {
      const t = await api('GET', `/v1/conversations/${call.conversation_id}/turns`);
      return (t.json?.turns ?? []).find((x) => x.role === 'agent' && x.timings.user_speech_end);
    }, 'the stored reply');
    const t = reply.timings;
    const m = await scrape();
    const stage = (name) => [m.get(`convox_worker_stage_latency_seconds_count{stage="${name}"}`), m.get(`convox_worker_stage_latency_seconds_sum{stage="${name}"}`)];
    const near = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: /metrics ${a} s, stored ${b} s`);
    // Only the reply answers speech; the first message has no user speech.
    for (const [name, from, to] of [
      ['endpointing', 'user_speech_end', 'vad_end'],
      ['stt', 'vad_end', 'stt_final'],
      ['llm_first_token', 'stt_final', 'llm_first_token'],
    ]) {
      const [count, sum] = stage(name);
      assert.equal(count, 1, name);
      near(sum, (t[to] - t[from]) / 1000, name);
    }
    const [v2vCount, v2vSum] = [m.get('convox_worker_voice_to_voice_seconds_count'), m.get('convox_worker_voice_to_voice_seconds_sum')];
    assert.equal(v2vCount, 1);
    near(v2vSum, reply.latency_ms.voice_to_voice / 1000, 'voice to voice');
    // The first message has its own TTS and transport stages: two of each.
    assert.equal(stage('transport')[0], 2);
    console.log(`/metrics after the reply: voice to voice ${v2vSum} s; stages ${JSON.stringify(Object.fromEntries(['endpointing', 'stt', 'llm_first_token', 'tts_first_audio', 'transport'].map((s) => [s, stage(s)[1]])))}`);
  } finally {
    await hangUp();
  }
  const ended = await until(async () => ((await scrape()).get('convox_worker_calls_ended_total') === 1 ? true : undefined), 'the call to be counted as ended');
  assert.ok(ended);
  assert.equal((await scrape()).get('convox_worker_active_calls'), 0);
});
