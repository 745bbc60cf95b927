// An agent on an OpenAI-compatible LLM, end to end with real peers:
// convox-server --dev and its built-in convox-worker, an agent created through
// /v1/agents with llm.provider "openai" and llm.config.base_url pointing at a
// chat-completions server in this test (the real SSE wire format of
// ../../../../shared/PROTOCOL-providers.md §1), and an unmodified
// @livekit/rtc-node caller speaking the generated prompts. Three turns: a
// streamed reply spoken as streamed; a stream cut mid-way (the agent
// apologises, the call goes on); a normal reply again. Then the stored turns
// and the usage records the worker posted.
// Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { dispose } from '@livekit/rtc-node';
import { joinCall, startVoiceServer, until as poll } from '../lib/voice_call.mjs';

const KEY = 'sk-test-llm-e2e-0123456789';
const MODEL = 'gpt-test-mini';
const SERVED_MODEL = 'gpt-test-mini-2026-01-01'; // what the chunks name, as OpenAI's do
const APOLOGY = 'Sorry, I am having trouble answering right now.';
const FIRST_MESSAGE = 'Hello, this is the Convox clinic assistant. How can I help?';
// The prompts the caller says (tests/media/make_media.sh), as the agent's
// keyword grammar transcribes them.
const PROMPTS = [
  ['book_appointment.wav', 'i would like to book an appointment for tomorrow at three p m'],
  ['opening_hours.wav', 'what are your opening hours'],
  ['hello.wav', 'hello there'],
];
// Deltas split inside words and sentences, as real servers split them.
const REPLY_1 = ['I can', ' book th', 'at for you.', ' Does three p', ' m tomorrow suit you?'];
const REPLY_3 = ['Hello again.', ' We are open from nine', ' to five.'];
const CUT = ['Let me look', ' that up in our'];
const USAGE_1 = { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 };
const USAGE_3 = { prompt_tokens: 80, completion_tokens: 9, total_tokens: 89 };

let server;
let api;
let llm;
const requests = [];
const until = (fn, what, timeoutMs = 30000) =>
  poll(fn, what, timeoutMs, () => `requests: ${requests.length}\nserver log:\n${server?.stderr.slice(-4000)}`);

function chunk(delta, finish = null) {
  return { id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1767225600, model: SERVED_MODEL, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null };
}

// Writes one SSE event per delta, a little apart, as a model streams.
async function stream(res, deltas, usage, cut) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  send(chunk({ role: 'assistant', content: '' }));
  for (const d of deltas) {
    await new Promise((r) => setTimeout(r, 30));
    send(chunk({ content: d }));
  }
  if (cut) {
    // Half the answer, then the connection goes away.
    await new Promise((r) => setTimeout(r, 30));
    res.socket.destroy();
    return;
  }
  send(chunk({}, 'stop'));
  send({ id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1767225600, model: SERVED_MODEL, choices: [], usage });
  res.write('data: [DONE]\n\n');
  res.end();
}

const warmups = [];

function startLlm() {
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      // The worker warms its connection with a HEAD at the call's start: a
      // real server answers it without a reply to count.
      if (req.method !== 'POST') {
        warmups.push(req.method);
        return res.writeHead(404).end();
      }
      const n = requests.length;
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) });
      if (n === 0) stream(res, REPLY_1, USAGE_1, false);
      else if (n === 1) stream(res, CUT, null, true);
      else stream(res, REPLY_3, USAGE_3, false);
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

before(async () => {
  llm = await startLlm();
  const origin = `http://127.0.0.1:${llm.address().port}`;
  // The worker's key, and the operator's word that this origin may have it.
  ({ server, api } = await startVoiceServer({ env: { OPENAI_API_KEY: KEY, CONVOX_LLM_KEY_ORIGINS: origin, OPENAI_BASE_URL: '' } }));
});

after(async () => {
  await server?.stop();
  llm?.close();
  await dispose();
});

test('an OpenAI-compatible agent: a streamed reply spoken, a stream cut mid-way gets an apology, the call goes on', async () => {
  const base = `http://127.0.0.1:${llm.address().port}/v1`;
  const created = await api('POST', '/v1/agents', {
    name: 'LLM receptionist',
    first_message: FIRST_MESSAGE,
    llm: { provider: 'openai', model: MODEL, temperature: 0.2, max_tokens: 120, system_prompt: 'You are the receptionist of {{clinic}}. Keep answers short.', config: { base_url: base } },
    keywords: PROMPTS.map(([, text]) => text),
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.llm.config.base_url, base);
  const { call, mic, captions, states: stateLog, heardSince, connectedAt, hangUp } = await joinCall(
    { server, api },
    { agent_id: created.json.id, identity: 'caller', parameters: { clinic: 'Convox Clinic' } },
  );
  const states = { at: (i) => stateLog.at(i)?.state };
  const agentCaptionSince = (t) => captions.find((c) => c.identity.startsWith('agent-') && c.at > t);
  try {
    await until(() => heardSince(connectedAt), 'the first message as audio');
    const first = await until(() => agentCaptionSince(connectedAt), 'the first message caption');
    assert.equal(first.text, FIRST_MESSAGE);
    await until(() => states.at(-1) === 'listening', 'the agent to listen after its first message');

    // Turn 1: the utterance reaches the model with the prompt and the history; the stream is spoken.
    let spokeAt = await mic.speak(PROMPTS[0][0]);
    await until(() => requests.length >= 1, 'the first chat completions request');
    const r1 = requests[0];
    assert.equal(r1.method, 'POST');
    assert.equal(r1.url, '/v1/chat/completions');
    assert.equal(r1.headers.authorization, `Bearer ${KEY}`);
    assert.equal(r1.body.model, MODEL);
    assert.equal(r1.body.stream, true);
    assert.deepEqual(r1.body.stream_options, { include_usage: true });
    assert.equal(r1.body.temperature, 0.2);
    assert.equal(r1.body.max_tokens, 120);
    assert.deepEqual(r1.body.messages, [
      { role: 'system', content: 'You are the receptionist of Convox Clinic. Keep answers short.' },
      { role: 'assistant', content: FIRST_MESSAGE },
      { role: 'user', content: PROMPTS[0][1] },
    ]);
    const reply1 = await until(() => agentCaptionSince(spokeAt), 'the first reply caption');
    assert.equal(reply1.text, REPLY_1.join(''));
    assert.ok(heardSince(spokeAt), 'the reply as audio');
    await until(() => states.at(-1) === 'listening', 'the agent to listen after its reply');

    // Turn 2: the stream is cut mid-way: the apology, not the fragment.
    spokeAt = await mic.speak(PROMPTS[1][0]);
    await until(() => requests.length >= 2, 'the second request');
    assert.deepEqual(requests[1].body.messages.slice(-3), [
      { role: 'user', content: PROMPTS[0][1] },
      { role: 'assistant', content: REPLY_1.join('') },
      { role: 'user', content: PROMPTS[1][1] },
    ]);
    const apology = await until(() => agentCaptionSince(spokeAt), 'the apology caption');
    assert.equal(apology.text, APOLOGY);
    await until(() => heardSince(spokeAt), 'the apology as audio');
    await until(() => states.at(-1) === 'listening', 'the agent to listen after its apology');

    // Turn 3: the call went on; the history holds what the caller heard.
    spokeAt = await mic.speak(PROMPTS[2][0]);
    await until(() => requests.length >= 3, 'the third request');
    const m3 = requests[2].body.messages;
    assert.equal(m3.length, 7, JSON.stringify(m3));
    assert.deepEqual(m3.slice(-3), [
      { role: 'user', content: PROMPTS[1][1] },
      { role: 'assistant', content: APOLOGY },
      { role: 'user', content: PROMPTS[2][1] },
    ]);
    const reply3 = await until(() => agentCaptionSince(spokeAt), 'the third reply caption');
    assert.equal(reply3.text, REPLY_3.join(''));
    await until(() => heardSince(spokeAt), 'the third reply as audio');
    await until(() => states.at(-1) === 'listening', 'the agent to listen after the third reply');

    // The stored turns, in order.
    const conversation = `/v1/conversations/${call.conversation_id}`;
    const turns = await until(async () => {
      const list = (await api('GET', `${conversation}/turns`)).json?.turns ?? [];
      return list.filter((t) => t.role === 'agent').length >= 4 ? list : undefined;
    }, 'the stored turns');
    assert.deepEqual(
      turns.map((t) => [t.role, t.text]),
      [
        ['agent', FIRST_MESSAGE],
        ['user', PROMPTS[0][1]],
        ['agent', REPLY_1.join('')],
        ['user', PROMPTS[1][1]],
        ['agent', APOLOGY],
        ['user', PROMPTS[2][1]],
        ['agent', REPLY_3.join('')],
      ],
    );
    const answered = turns[2];
    assert.ok(answered.timings.llm_first_token >= answered.timings.stt_final, JSON.stringify(answered.timings));
    const status = (await api('GET', conversation)).json;
    assert.equal(status.status, 'in_progress', JSON.stringify(status));

    // Usage per provider: the tokens the streams reported, measured; the cut
    // one reported none, so it is billed at estimates marked as such;
    // characters synthesised, seconds recognised.
    // Each reply's usage is posted after its playout ends: wait for the last one's too.
    const spoken = [FIRST_MESSAGE, REPLY_1.join(''), APOLOGY, REPLY_3.join('')];
    const sum = (list, stage, unit) => list.filter((u) => u.stage === stage && u.unit === unit).reduce((s, u) => s + u.quantity, 0);
    const measuredOf = (list) => list.filter((u) => !u.estimated);
    const usage = await until(async () => {
      const list = (await api('GET', `${conversation}/usage`)).json?.usage ?? [];
      const tokensIn = sum(measuredOf(list), 'llm', 'output_tokens') >= USAGE_1.completion_tokens + USAGE_3.completion_tokens;
      return tokensIn && sum(list, 'tts', 'characters') >= spoken.join('').length - 10 ? list : undefined;
    }, 'the usage records');
    const total = (stage, unit) => usage.filter((u) => u.stage === stage && u.unit === unit).reduce((s, u) => s + u.quantity, 0);
    for (const u of usage.filter((x) => x.stage === 'llm')) {
      assert.equal(u.provider, 'openai', JSON.stringify(u));
      assert.equal(u.model, SERVED_MODEL, JSON.stringify(u));
    }
    assert.equal(sum(measuredOf(usage), 'llm', 'input_tokens'), USAGE_1.prompt_tokens + USAGE_3.prompt_tokens);
    assert.equal(sum(measuredOf(usage), 'llm', 'output_tokens'), USAGE_1.completion_tokens + USAGE_3.completion_tokens);
    const estimated = usage.filter((u) => u.estimated);
    assert.ok(estimated.length > 0 && estimated.every((u) => u.stage === 'llm'), JSON.stringify(usage));
    assert.ok(sum(estimated, 'llm', 'input_tokens') > 0, JSON.stringify(estimated));
    const said = total('tts', 'characters');
    // Sentences are synthesised one by one, without the spaces between them.
    assert.ok(said >= spoken.join('').length - 10 && said <= spoken.join(' ').length, `tts characters ${said}`);
    assert.ok(usage.some((u) => u.stage === 'tts' && u.provider === 'espeak-ng'), JSON.stringify(usage));
    const heard = total('stt', 'audio_seconds');
    assert.ok(heard >= 3 && heard < 60, `stt audio seconds ${heard}`);
    assert.ok(usage.every((u) => u.stage !== 'stt' || u.provider === 'pocketsphinx'), JSON.stringify(usage));
    console.log(`usage: ${JSON.stringify(usage.map((u) => [u.stage, u.provider, u.unit, u.quantity]))}`);
  } finally {
    await hangUp();
  }
  const ended = await until(async () => {
    const c = (await api('GET', `/v1/conversations/${call.conversation_id}`)).json;
    return c?.status === 'ended' ? c : undefined;
  }, 'the conversation to end after the hang-up');
  assert.equal(ended.end_reason, 'user_hangup');
});

test('an agent whose llm provider this worker does not serve: the call fails with the reason, nothing else answers', async () => {
  const created = await api('POST', '/v1/agents', { name: 'Unknown LLM', first_message: 'Hello there.', llm: { provider: 'no-such-llm', model: 'm1' } });
  assert.equal(created.status, 201, created.text);
  const before = requests.length;
  const { call, hangUp } = await joinCall({ server, api }, { agent_id: created.json.id, identity: 'caller2' });
  try {
    const failed = await until(async () => {
      const c = (await api('GET', `/v1/conversations/${call.conversation_id}`)).json;
      return c?.status === 'failed' ? c : undefined;
    }, 'the call to fail');
    assert.equal(failed.end_reason, 'provider_unavailable');
    assert.match(failed.error, /llm provider 'no-such-llm' is not supported by this worker/);
    // Not the dialog engine instead: no first message, no turns; no request to any model.
    const turns = (await api('GET', `/v1/conversations/${call.conversation_id}/turns`)).json?.turns ?? [];
    assert.deepEqual(turns, []);
    assert.equal(requests.length, before);
  } finally {
    await hangUp();
  }
});
