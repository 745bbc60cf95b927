// The /v1 control API against a real convox-server, on both stores: SQLite in
// a temp data dir, and the PostgreSQL of CONVOX_TEST_DATABASE_URL (a
// throwaway cluster from scripts/pg-test-cluster.sh). Plain fetch, as any
// client would. Every exchange is also checked against /v1/openapi.json.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { AgentDispatchClient } from 'livekit-server-sdk';
import { API_KEY, API_SECRET, run, startServer } from './lib/server.mjs';
import { upgradeStatus } from './lib/signal.mjs';
import { responseProblems } from './lib/openapi_check.mjs';

const DEV_KEY = 'convox-dev-key';
const pgUrl = process.env.CONVOX_TEST_DATABASE_URL;

const backends = [{ name: 'sqlite', storeArgs: () => ['--data-dir', mkdtempSync(path.join(tmpdir(), 'convox-capi-'))] }];
if (pgUrl) {
  backends.push({ name: 'postgres', storeArgs: () => ['--database-url', pgUrl] });
} else {
  test('postgres backend', { skip: process.env.CI ? false : 'CONVOX_TEST_DATABASE_URL not set' }, () => {
    assert.fail('CI is set but CONVOX_TEST_DATABASE_URL is not: the PostgreSQL cluster was not started');
  });
}

const fullAgent = (id) => ({
  id,
  name: 'Support',
  description: 'answers questions',
  stt: { provider: 'whisper', language: 'en' },
  llm: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
  tts: { provider: 'piper', voice: 'amy' },
  first_message: { inbound: 'Hello!' },
  system_prompt: 'Be brief.',
  results: [{ name: 'booked', type: 'boolean' }],
  limits: { max_duration_seconds: 600 },
});

for (const backend of backends) {
  describe(`control API on ${backend.name}`, () => {
    const storeArgs = backend.storeArgs();
    let server;
    let openapi;
    let teamA; // {key}
    let teamB;
    const exchanges = [];

    async function createTeam(name) {
      const r = await run('convox-server', ['--dev', ...storeArgs, '--create-team', name]);
      assert.equal(r.code, 0, r.stderr);
      const key = r.stdout.match(/api key: (\S+)/)[1];
      return { key };
    }

    // One request; `raw` sends bytes as they are.
    async function api(method, pathname, { key, body, raw, headers = {} } = {}) {
      const h = { ...headers };
      if (key) h.authorization = `Bearer ${key}`;
      let payload;
      if (raw !== undefined) payload = raw;
      else if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) h['content-type'] = 'application/json';
      const res = await fetch(server.httpUrl + pathname, { method, headers: h, body: payload });
      const text = await res.text();
      const contentType = res.headers.get('content-type');
      exchanges.push({ method, pathname: pathname.split('?')[0], status: res.status, contentType, body: text });
      const json = contentType?.startsWith('application/json') && text ? JSON.parse(text) : undefined;
      return { status: res.status, json, text, contentType };
    }

    function assertError(r, status, code, field) {
      assert.equal(r.status, status, r.text);
      assert.equal(r.json.error.code, code, r.text);
      assert.ok(r.json.error.message.length > 0);
      if (field !== undefined) {
        assert.ok(r.json.error.details.some((d) => d.field === field), `no detail for ${field}: ${r.text}`);
      }
    }

    before(async () => {
      server = await startServer({ args: storeArgs });
      teamA = await createTeam('A');
      teamB = await createTeam('B');
      openapi = JSON.parse((await api('GET', '/v1/openapi.json')).text);
    });
    after(async () => {
      await server?.stop();
    });

    test('no key, an unknown key and a revoked key are 401; the dev key works', async () => {
      assertError(await api('GET', '/v1/agents'), 401, 'unauthenticated');
      assertError(await api('GET', '/v1/agents', { key: 'cvx_not_a_key' }), 401, 'unauthenticated');
      const dev = await api('GET', '/v1/agents', { headers: { 'x-api-key': DEV_KEY } });
      assert.equal(dev.status, 200);
      const created = await api('POST', '/v1/api-keys', { key: teamA.key, body: { name: 'worker' } });
      assert.equal(created.status, 201);
      assert.match(created.json.key, /^cvx_/);
      const listed = await api('GET', '/v1/api-keys', { key: teamA.key });
      const entry = listed.json.api_keys.find((k) => k.id === created.json.id);
      assert.equal(entry.prefix, created.json.key.slice(0, 8));
      assert.equal(entry.key, undefined); // shown once, never again
      assert.ok(!listed.text.includes(created.json.key));
      assert.equal((await api('GET', '/v1/agents', { headers: { 'x-api-key': created.json.key } })).status, 200);
      assertError(await api('DELETE', `/v1/api-keys/${created.json.id}`, { key: teamB.key }), 404, 'not_found');
      assert.equal((await api('DELETE', `/v1/api-keys/${created.json.id}`, { key: teamA.key })).status, 204);
      assertError(await api('GET', '/v1/agents', { key: created.json.key }), 401, 'unauthenticated');
    });

    test('agents: create, read, versioned update, delete; invisible to another team', async () => {
      const made = await api('POST', '/v1/agents', { key: teamA.key, body: fullAgent('support') });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.json.version, 1);
      assert.equal(made.json.llm.model, 'gpt-4o-mini');
      assertError(await api('POST', '/v1/agents', { key: teamA.key, body: fullAgent('support') }), 409, 'already_exists', 'id');
      const got = await api('GET', '/v1/agents/support', { key: teamA.key });
      assert.deepEqual(got.json, made.json);
      assert.ok((await api('GET', '/v1/agents', { key: teamA.key })).json.agents.some((a) => a.id === 'support'));

      assertError(await api('GET', '/v1/agents/support', { key: teamB.key }), 404, 'not_found');
      assertError(await api('PUT', '/v1/agents/support', { key: teamB.key, body: { name: 'x' } }), 404, 'not_found');
      assertError(await api('DELETE', '/v1/agents/support', { key: teamB.key }), 404, 'not_found');
      assert.ok(!(await api('GET', '/v1/agents', { key: teamB.key })).json.agents.some((a) => a.id === 'support'));

      const v2 = await api('PUT', '/v1/agents/support', { key: teamA.key, body: { ...fullAgent('support'), name: 'Support 2', version: 1 } });
      assert.equal(v2.status, 200, v2.text);
      assert.equal(v2.json.version, 2);
      assert.equal(v2.json.name, 'Support 2');
      const stale = await api('PUT', '/v1/agents/support', { key: teamA.key, body: { name: 'lost', version: 1 } });
      assertError(stale, 409, 'version_conflict', 'version');
      assert.equal((await api('GET', '/v1/agents/support', { key: teamA.key })).json.name, 'Support 2');

      const temp = await api('POST', '/v1/agents', { key: teamA.key, body: { name: 'temporary' } });
      assert.match(temp.json.id, /^agt_/);
      assert.equal((await api('DELETE', `/v1/agents/${temp.json.id}`, { key: teamA.key })).status, 204);
      assertError(await api('GET', `/v1/agents/${temp.json.id}`, { key: teamA.key }), 404, 'not_found');
    });

    test('bad input: wrong types, unknown fields, oversized and non-UTF-8 bodies', async () => {
      const k = { key: teamA.key };
      const wrong = await api('POST', '/v1/agents', { ...k, body: { name: 5, llm: { provider: 'p', temperature: 'hot' } } });
      assertError(wrong, 400, 'invalid_agent', 'name');
      assert.ok(wrong.json.error.details.some((d) => d.field === 'llm.temperature' && d.code === 'wrong_type'));
      assertError(await api('POST', '/v1/agents', { ...k, body: { name: 'a', colour: 'red' } }), 400, 'invalid_agent', 'colour');
      assertError(await api('POST', '/v1/agents', { ...k, raw: '{"name": ' }), 400, 'invalid_json');
      assertError(await api('POST', '/v1/agents', { ...k, raw: '[1, 2]' }), 400, 'invalid_json');
      const badUtf8 = Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
      assertError(await api('POST', '/v1/agents', { ...k, raw: badUtf8 }), 400, 'invalid_json');
      const big = { name: 'big', system_prompt: 'x'.repeat(300 * 1024) };
      assertError(await api('POST', '/v1/agents', { ...k, body: big }), 413, 'payload_too_large');
      assertError(await api('POST', '/v1/calls', { ...k, body: { agent_id: 7, extra: true } }), 400, 'invalid_request', 'agent_id');
      assertError(await api('POST', '/v1/calls', { ...k, body: { agent_id: 'support', parameters: { n: 1 } } }), 400, 'invalid_request', 'parameters.n');
      assertError(await api('POST', '/v1/calls', { ...k, body: { agent_id: 'nobody' } }), 404, 'not_found', 'agent_id');
      assertError(await api('GET', '/v1/conversations?cursor=not-a-cursor', k), 400, 'invalid_request', 'cursor');
      assertError(await api('GET', '/v1/conversations?cursor=' + Buffer.from('12:../x').toString('base64url'), k), 400, 'invalid_request', 'cursor');
      assertError(await api('GET', '/v1/conversations?limit=0', k), 400, 'invalid_request', 'limit');
      assertError(await api('GET', '/v1/conversations?statsu=ended', k), 400, 'invalid_request', 'statsu');
      assertError(await api('GET', '/v1/conversations?created_from=yesterday', k), 400, 'invalid_request', 'created_from');
      assertError(await api('PATCH', '/v1/agents/support', { ...k, body: {} }), 405, 'method_not_allowed');
      // Strict requests: a declared JSON type, no duplicate keys, only known and single query parameters.
      const typed = (type) =>
        fetch(server.httpUrl + '/v1/agents', { method: 'POST', headers: { authorization: `Bearer ${teamA.key}`, 'content-type': type }, body: '{"name": "typed"}' });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
        const refused = await typed(type);
        assert.equal(refused.status, 415, type);
        assert.equal((await refused.json()).error.code, 'unsupported_media_type');
      }
      assert.equal((await typed('application/json; charset=utf-8')).status, 201);
      const dup = await api('POST', '/v1/agents', { ...k, raw: '{"name": "a", "llm": {"provider": "x", "provider": "y"}}' });
      assertError(dup, 400, 'invalid_json', 'llm.provider');
      assertError(await api('GET', '/v1/agents?expand=all', k), 400, 'invalid_request', 'expand');
      assertError(await api('GET', '/v1/conversations?limit=1&limit=2', k), 400, 'invalid_request', 'limit');
      const lower = await api('GET', '/v1/agents', { headers: { authorization: `bearer ${teamA.key}` } });
      assert.equal(lower.status, 200, lower.text);
      assertError(await api('POST', '/v1/calls', { ...k, body: { agent_id: 'support', identity: '' } }), 400, 'invalid_request', 'identity');
      const scoped = { name: 'scoped', webhooks: [{ url: 'http://[fe80::1%25lo]/', secret: 's' }] };
      assertError(await api('POST', '/v1/agents', { ...k, body: scoped }), 400, 'invalid_agent', 'webhooks[0].url');
      // The server is still fine after all that.
      assert.equal((await api('GET', '/v1/agents/support', k)).status, 200);
    });

    let call; // the conversation the next tests use
    test('POST /v1/calls: conversation, room, caller token and a dispatched agent', async () => {
      const r = await api('POST', '/v1/calls', { key: teamA.key, body: { agent_id: 'support', parameters: { customer: 'Ada' } } });
      assert.equal(r.status, 201, r.text);
      call = r.json;
      assert.match(call.trace_id, /^[0-9a-f]{32}$/);
      assert.equal(call.room, `call_${call.conversation_id}`);
      assert.match(call.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(call.agent_dispatched, true);
      const claims = decodeJwt(call.token);
      assert.equal(claims.iss, API_KEY);
      assert.equal(claims.video.room, call.room);
      assert.equal(claims.video.roomJoin, true);
      // The dispatcher holds a dispatch for the worker (one name for every
      // agent), carrying the call's metadata, which names the agent.
      const dispatches = await new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET).listDispatch(call.room);
      // (A new room also gets LiveKit's automatic dispatch, with an empty agent name.)
      const ours = dispatches.filter((d) => d.agentName === 'convox');
      assert.equal(ours.length, 1, JSON.stringify(dispatches.map((d) => d.agentName)));
      assert.ok(!dispatches.some((d) => d.agentName === 'support'), 'dispatched under the agent id');
      const metadata = JSON.parse(ours[0].metadata);
      assert.equal(metadata.agent.id, 'support');
      assert.equal(metadata.conversation_id, call.conversation_id);
      assert.equal(metadata.trace_id, call.trace_id);
      assert.deepEqual(metadata.parameters, { customer: 'Ada' });
      assert.equal(metadata.agent.llm.model, 'gpt-4o-mini');

      const detail = await api('GET', `/v1/conversations/${call.conversation_id}`, { key: teamA.key });
      assert.equal(detail.status, 200);
      assert.equal(detail.json.status, 'created');
      assert.equal(detail.json.trace_id, call.trace_id);
      assert.deepEqual(detail.json.parameters, { customer: 'Ada' });
    });

    // The seed specification's example agent, as users copy it.
    const seedAgent = {
      name: 'Hindi Collections Agent',
      description: 'Handles debt collection calls in Hindi',
      stt: { provider: 'sarvam', language: 'hi-IN', config: {} },
      llm: { provider: 'openai', model: 'gpt-4o-mini', system_prompt: 'You are a collections agent...', temperature: 0.3, max_tokens: 150 },
      tts: { provider: 'gnani', voice: 'priya-hi-IN', config: {} },
      telephony: { provider: 'exotel', from_number: '+91XXXXXXXXXX' },
      vad: { enabled: true, silence_threshold_ms: 800 },
      interruption_handling: { enabled: true, mode: 'restart' },
      compliance: { dpdp: { enabled: true, consent_language: 'hi', consent_purpose: 'debt_collection', retention_days: 180 } },
      webhooks: { on_call_end: 'https://your-crm.com/hooks/call-complete', on_transcript_ready: 'https://your-crm.com/hooks/transcript' },
    };
    const withoutServerFields = ({ id, version, created_at, updated_at, ...rest }) => rest;

    test("the seed's example agent: accepted verbatim, round-trips, calls override only listed keys", async () => {
      const k = { key: teamA.key };
      const made = await api('POST', '/v1/agents', { ...k, body: seedAgent });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(withoutServerFields(made.json), seedAgent);
      const got = await api('GET', `/v1/agents/${made.json.id}`, k);
      assert.deepEqual(withoutServerFields(got.json), seedAgent);
      assert.ok((await api('GET', '/v1/agents', k)).json.agents.some((a) => a.id === made.json.id));
      // A GET-edit-PUT keeps every field.
      const { created_at, updated_at, ...editable } = got.json;
      const put = await api('PUT', `/v1/agents/${made.json.id}`, { ...k, body: { ...editable, description: 'edited' } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(withoutServerFields(put.json), { ...seedAgent, description: 'edited' });

      // Bad values of the new fields are refused with their path.
      const bad = { ...seedAgent, vad: { enabled: 'yes' }, first_message: 'Hi {{customer name}}', eagerness: 'frantic' };
      const refused = await api('POST', '/v1/agents', { ...k, body: bad });
      assertError(refused, 400, 'invalid_agent', 'vad.enabled');
      assert.ok(refused.json.error.details.some((d) => d.field === 'first_message' && d.code === 'invalid_value'), refused.text);
      assert.ok(refused.json.error.details.some((d) => d.field === 'eagerness'), refused.text);

      // Calls: only the keys the agent lists may be overridden; the effective config goes to the worker.
      const agent = { ...seedAgent, id: 'collections', first_message: { outbound: 'Namaste {{customer_name}}' }, client_override_keys: ['first_message.outbound', 'llm.temperature'] };
      assert.equal((await api('POST', '/v1/agents', { ...k, body: agent })).status, 201);
      const notAllowed = await api('POST', '/v1/calls', { ...k, body: { agent_id: 'collections', overrides: { llm: { model: 'gpt-4o' } } } });
      assertError(notAllowed, 400, 'invalid_request', 'overrides.llm.model');
      assert.equal(notAllowed.json.error.details[0].code, 'not_overridable');
      const call = await api('POST', '/v1/calls', {
        ...k,
        body: {
          agent_id: 'collections',
          direction: 'outbound',
          parameters: [{ name: 'customer_name', value: 'Rahul' }, { name: 'loan_id', value: 'LN-12345' }],
          overrides: { llm: { temperature: 0.6 } },
          retry_context: { previous_conversation_id: 'conv_earlier', stage_id: 'promise', collected_data: { amount: 500 } },
        },
      });
      assert.equal(call.status, 201, call.text);
      const dispatches = await new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET).listDispatch(call.json.room);
      const ours = dispatches.filter((d) => d.agentName === 'convox');
      assert.equal(ours.length, 1, JSON.stringify(dispatches.map((d) => d.agentName)));
      const metadata = JSON.parse(ours[0].metadata);
      assert.equal(metadata.agent.id, 'collections');
      assert.equal(metadata.agent.llm.temperature, 0.6);
      assert.equal(metadata.agent.llm.system_prompt, seedAgent.llm.system_prompt);
      assert.equal(metadata.agent.webhooks, undefined);
      assert.equal(metadata.direction, 'outbound');
      assert.deepEqual(metadata.parameters, { customer_name: 'Rahul', loan_id: 'LN-12345' });
      assert.equal(metadata.retry_context.stage_id, 'promise');
      // The stored agent is unchanged by the call's override.
      assert.equal((await api('GET', '/v1/agents/collections', k)).json.llm.temperature, 0.3);
    });

    test('turn ingest is idempotent on turn_id; transcripts in JSON, text and CSV', async () => {
      const base = `/v1/conversations/${call.conversation_id}`;
      const k = { key: teamA.key };
      assert.equal((await api('POST', `${base}/status`, { ...k, body: { status: 'in_progress' } })).json.status, 'in_progress');
      const first = await api('POST', `${base}/turns`, { ...k, body: { turn_id: 't1', role: 'user', text: 'Hi, "I need help", ok', started_at: 1000 } });
      assert.equal(first.status, 201);
      assert.equal(first.json.stored, true);
      const again = await api('POST', `${base}/turns`, { ...k, body: { turn_id: 't1', role: 'user', text: 'different', started_at: 1000 } });
      assert.equal(again.status, 200);
      assert.equal(again.json.stored, false);
      await api('POST', `${base}/turns`, { ...k, body: { turn_id: 't2', role: 'agent', text: 'Sure.', started_at: 2000, interrupted: true } });
      assertError(await api('POST', `${base}/turns`, { ...k, body: { turn_id: 't3', role: 'robot', started_at: -1 } }), 400, 'invalid_request', 'role');

      const transcript = await api('GET', `${base}/transcript`, k);
      const pick = ({ turn_id, role, text, started_at, interrupted, redacted, confidence }) => ({ turn_id, role, text, started_at, interrupted, redacted, confidence });
      assert.deepEqual(transcript.json.turns.map(pick), [
        { turn_id: 't1', role: 'user', text: 'Hi, "I need help", ok', started_at: 1000, interrupted: false, redacted: false, confidence: null },
        { turn_id: 't2', role: 'agent', text: 'Sure.', started_at: 2000, interrupted: true, redacted: false, confidence: null },
      ]);
      // Turns posted without timings have none, and so no latencies.
      assert.ok(Object.values(transcript.json.turns[0].timings).every((v) => v === null));
      assert.ok(Object.values(transcript.json.turns[0].latency_ms).every((v) => v === null));
      const text = await api('GET', `${base}/transcript?format=text`, k);
      assert.equal(text.text, 'user: Hi, "I need help", ok\nagent: Sure. [interrupted]\n');
      const csv = await api('GET', `${base}/transcript?format=csv`, k);
      assert.match(csv.contentType, /^text\/csv/);
      assert.equal(csv.text, 'started_at,role,text,interrupted\r\n1000,user,"Hi, ""I need help"", ok",false\r\n2000,agent,"Sure.",true\r\n');
      assertError(await api('GET', `${base}/transcript?format=pdf`, k), 400, 'invalid_request', 'format');
      assert.equal((await api('GET', `${base}/turns`, k)).json.turns.length, 2);

      // Another team's key sees none of it and can write none of it.
      for (const p of [base, `${base}/transcript`, `${base}/turns`]) {
        assertError(await api('GET', p, { key: teamB.key }), 404, 'not_found');
      }
      assertError(await api('POST', `${base}/turns`, { key: teamB.key, body: { turn_id: 'x', role: 'user', started_at: 1 } }), 404, 'not_found');
      assertError(await api('POST', `${base}/end`, { key: teamB.key }), 404, 'not_found');

      const ended = await api('POST', `${base}/end`, k);
      assert.equal(ended.status, 200);
      assert.equal(ended.json.status, 'ended');
      assert.equal(typeof ended.json.duration_seconds, 'number');
      assertError(await api('POST', `${base}/end`, k), 409, 'conversation_final');
    });

    test('usage is idempotent on usage_id; cost sums it by stage and provider, unpriced records apart', async () => {
      const base = `/v1/conversations/${call.conversation_id}`;
      const k = { key: teamA.key };
      const post = (body) => api('POST', `${base}/usage`, { ...k, body });
      const stt = { usage_id: 'u-stt-1', stage: 'stt', provider: 'deepgram', model: 'nova-2', unit: 'audio_seconds', quantity: 12.5, cost_usd: 0.000896 };
      const first = await post(stt);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.json.stored, true);
      const again = await post({ ...stt, cost_usd: 99 });
      assert.equal(again.status, 200);
      assert.equal(again.json.stored, false);
      assert.equal((await post({ usage_id: 'u-stt-2', stage: 'stt', provider: 'deepgram', model: 'nova-2', unit: 'audio_seconds', quantity: 7.5, cost_usd: 0.000537 })).status, 201);
      assert.equal((await post({ usage_id: 'u-llm-in', stage: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'input_tokens', quantity: 1200, cost_usd: 0.00018 })).status, 201);
      assert.equal((await post({ usage_id: 'u-llm-out', stage: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'output_tokens', quantity: 300, cost_usd: 0.00018 })).status, 201);
      // Priced neither by the reporter nor by the price table (an unknown provider): counted apart, never read as free.
      assert.equal((await post({ usage_id: 'u-tts', stage: 'tts', provider: 'acme-tts', unit: 'characters', quantity: 420 })).status, 201);

      const cost = await api('GET', `${base}/cost`, k);
      assert.equal(cost.status, 200, cost.text);
      assert.equal(cost.json.currency, 'USD');
      assert.equal(cost.json.total_usd, 0.001793);
      assert.deepEqual(cost.json.by_stage, { llm: 0.00036, stt: 0.001433 });
      assert.equal(cost.json.unpriced_records, 1);
      const byKey = Object.fromEntries(cost.json.by_provider.map((p) => [`${p.stage}/${p.provider}`, p]));
      assert.deepEqual(byKey['stt/deepgram'], { stage: 'stt', provider: 'deepgram', model: 'nova-2', cost_usd: 0.001433, quantities: { audio_seconds: 20 }, unpriced_records: 0, estimated_cost_usd: 0, estimated_records: 0 });
      assert.deepEqual(byKey['llm/openai'].quantities, { input_tokens: 1200, output_tokens: 300 });
      assert.deepEqual(byKey['tts/acme-tts'], { stage: 'tts', provider: 'acme-tts', model: null, cost_usd: 0, quantities: { characters: 420 }, unpriced_records: 1, estimated_cost_usd: 0, estimated_records: 0 });
      const listed = await api('GET', `${base}/usage`, k);
      assert.equal(listed.json.usage.length, 5);
      assert.deepEqual(listed.json.usage.find((u) => u.usage_id === 'u-stt-1').cost_usd, 0.000896);
      assert.ok(listed.json.usage.every((u) => u.estimated === false));
      assert.equal(cost.json.estimated_cost_usd, 0);

      // The tokens of a reply cut by barge-in, estimated by the worker: stored marked, in the
      // total as before, and its part shown beside it.
      assert.equal((await post({ usage_id: 'u-llm-cut', stage: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'output_tokens', quantity: 50, cost_usd: 0.00003, estimated: true })).status, 201);
      const withCut = await api('GET', `${base}/cost`, k);
      assert.equal(withCut.json.total_usd, 0.001823);
      assert.equal(withCut.json.estimated_cost_usd, 0.00003);
      assert.equal(withCut.json.estimated_records, 1);
      const cut = (await api('GET', `${base}/usage`, k)).json.usage.find((u) => u.usage_id === 'u-llm-cut');
      assert.equal(cut.estimated, true);
      assertError(await post({ usage_id: 'bad', stage: 'llm', provider: 'x', unit: 'output_tokens', quantity: 1, estimated: 'yes' }), 400, 'invalid_request', 'estimated');

      assertError(await post({ usage_id: 'bad', stage: 'dreaming', provider: 'x', unit: 'audio_seconds', quantity: 1 }), 400, 'invalid_request', 'stage');
      assertError(await post({ usage_id: 'bad', stage: 'stt', provider: 'x', unit: 'parsecs', quantity: 1 }), 400, 'invalid_request', 'unit');
      assertError(await post({ usage_id: 'bad', stage: 'stt', provider: 'x', unit: 'requests', quantity: -1 }), 400, 'invalid_request', 'quantity');
      assertError(await post({ usage_id: 'bad', stage: 'stt', provider: 'x', unit: 'requests', quantity: '3' }), 400, 'invalid_request', 'quantity');
      assertError(await post({ usage_id: 'bad', stage: 'stt', provider: 'x', unit: 'requests', quantity: 1, price: 2 }), 400, 'invalid_request', 'price');
      for (const p of [`${base}/usage`, `${base}/cost`]) assertError(await api('GET', p, { key: teamB.key }), 404, 'not_found');
      assertError(await api('POST', `${base}/usage`, { key: teamB.key, body: stt }), 404, 'not_found');
      assertError(await api('POST', `${base}/cost`, k), 405, 'method_not_allowed');
    });

    test('prices: a team edit overrides the list price for new usage; the analytics sum it', async () => {
      const k = { key: teamA.key };
      const listPrice = await api('GET', '/v1/providers/deepgram/pricing', k);
      assert.equal(listPrice.status, 200, listPrice.text);
      assert.ok(listPrice.json.prices.some((p) => p.model === 'nova-3' && !p.team_override));
      const edit = await api('PUT', '/v1/providers/deepgram/pricing', { ...k, body: { prices: [{ model: 'nova-3', unit: 'audio_seconds', usd: 0.006, per: 'minute' }] } });
      assert.equal(edit.status, 200, edit.text);
      assert.ok(edit.json.prices.some((p) => p.model === 'nova-3' && p.team_override && p.usd === 0.006));
      assertError(await api('PUT', '/v1/providers/deepgram/pricing', { ...k, body: { prices: [{ model: 'nova-3', unit: 'audio_seconds', usd: 1, per: '1k' }] } }), 400, 'invalid_request', 'prices[0].per');
      const other = await api('GET', '/v1/providers/deepgram/pricing', { key: teamB.key });
      assert.ok(other.json.prices.every((p) => !p.team_override));

      // Its own agent, so the analytics see only this test's call.
      assert.equal((await api('POST', '/v1/agents', { ...k, body: { id: 'pricer', name: 'Pricer' } })).status, 201);
      const priced = (await api('POST', '/v1/calls', { ...k, body: { agent_id: 'pricer' } })).json.conversation_id;
      const at = Date.now();
      const u = await api('POST', `/v1/conversations/${priced}/usage`, { ...k, body: { usage_id: 'p1', stage: 'stt', provider: 'deepgram', model: 'nova-3', unit: 'audio_seconds', quantity: 90, recorded_at: at } });
      assert.equal(u.status, 201, u.text);
      const listed = await api('GET', `/v1/conversations/${priced}/usage`, k);
      assert.equal(listed.json.usage[0].cost_usd, 0.009); // 90 s at $0.006 a minute
      assert.equal(listed.json.usage[0].cost_source, 'price_table');
      const turn = await api('POST', `/v1/conversations/${priced}/turns`, { ...k, body: {
        turn_id: 'a1', role: 'agent', started_at: at, providers: { stt: 'deepgram', llm: 'openai', tts: 'elevenlabs' },
        timings: { user_speech_end: at - 900, stt_final: at - 700, llm_first_token: at - 300, tts_first_audio: at - 100, first_packet_out: at },
        provider_events: [{ stage: 'llm', provider: 'groq', event: 'fallback', reason: 'HTTP 503', to: 'openai' }] } });
      assert.equal(turn.status, 201, turn.text);

      const from = new Date(at - 60_000).toISOString();
      const to = new Date(at + 60_000).toISOString();
      const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&agent_id=pricer`;
      const cost = await api('GET', `/v1/analytics/cost?${range}&bucket=hour`, k);
      assert.equal(cost.status, 200, cost.text);
      assert.equal(cost.json.total_usd, 0.009);
      const latency = await api('GET', `/v1/analytics/latency?${range}`, k);
      assert.equal(latency.status, 200, latency.text);
      assert.deepEqual(latency.json.stages.map((s) => [s.stage, s.p50_ms]), [['stt', 200], ['llm', 400], ['tts', 200], ['voice_to_voice', 900]]);
      const providers = await api('GET', `/v1/analytics/providers?${range}`, k);
      assert.equal(providers.status, 200, providers.text);
      assert.equal(providers.json.by_stage.llm.fallback_rate, 0.5);
      const overview = await api('GET', `/v1/analytics/overview?${range}`, k);
      assert.equal(overview.status, 200, overview.text);
      assert.equal(overview.json.calls, 1);
      assert.equal(overview.json.cost_usd, 0.009);
      assert.equal((await api('GET', `/v1/analytics/overview?${range}`, { key: teamB.key })).json.cost_usd, 0);
      assertError(await api('GET', '/v1/analytics/overview?from=tomorrow', k), 400, 'invalid_request', 'from');
      assert.equal((await api('DELETE', '/v1/providers/deepgram/pricing', k)).status, 200);
    });

    test('conversation list: filters and an opaque cursor that walks every row once', async () => {
      const k = { key: teamA.key };
      await api('POST', '/v1/agents', { ...k, body: { id: 'pager', name: 'Pager' } });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await api('POST', '/v1/calls', { ...k, body: { agent_id: 'pager' } })).json.conversation_id);
      const seen = [];
      let cursor = null;
      for (let page = 0; page < 10; page++) {
        const r = await api('GET', `/v1/conversations?agent_id=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`, k);
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.conversations.map((c) => c.id));
        cursor = r.json.next_cursor;
        if (!cursor) break;
      }
      assert.deepEqual([...seen].sort(), [...ids].sort());
      assert.equal(new Set(seen).size, 5);
      const ended = await api('GET', '/v1/conversations?status=ended&agent_id=support', k);
      assert.deepEqual(ended.json.conversations.map((c) => c.id), [call.conversation_id]);
      const future = await api('GET', `/v1/conversations?created_from=${Date.now() + 3600_000}`, k);
      assert.deepEqual(future.json.conversations, []);
      const other = await api('GET', '/v1/conversations?agent_id=pager', { key: teamB.key });
      assert.deepEqual(other.json.conversations, []);
    });

    test('everything survives a server restart', async () => {
      const k = { key: teamA.key };
      const base = `/v1/conversations/${call.conversation_id}`;
      const before = {
        detail: (await api('GET', base, k)).json,
        turns: (await api('GET', `${base}/turns`, k)).json,
        usage: (await api('GET', `${base}/usage`, k)).json,
        cost: (await api('GET', `${base}/cost`, k)).json,
        agent: (await api('GET', '/v1/agents/support', k)).json,
      };
      await server.stop();
      server = await startServer({ args: storeArgs });
      assert.deepEqual((await api('GET', base, k)).json, before.detail);
      assert.deepEqual((await api('GET', `${base}/turns`, k)).json, before.turns);
      assert.deepEqual((await api('GET', `${base}/usage`, k)).json, before.usage);
      assert.deepEqual((await api('GET', `${base}/cost`, k)).json, before.cost);
      assert.equal(before.usage.usage.length, 6); // the estimated one too, its mark kept
      assert.deepEqual((await api('GET', '/v1/agents/support', k)).json, before.agent);
      // The dev key is the same after a restart, and a stored turn is still stored once.
      assert.equal((await api('GET', '/v1/agents', { headers: { 'x-api-key': DEV_KEY } })).status, 200);
      const again = await api('POST', `${base}/turns`, { ...k, body: { turn_id: 't1', role: 'user', text: 'x', started_at: 1 } });
      assert.equal(again.json.stored, false);
    });

    test('webhooks: signed deliveries, a retry after a 500, and the delivery log', async () => {
      const k = { key: teamA.key };
      const secret = 'whsec_' + backend.name;
      const received = [];
      let failNext = true;
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push({ headers: req.headers, body });
          if (failNext && req.headers['convox-event'] === 'call.started') {
            failNext = false;
            res.writeHead(500).end('try again');
          } else {
            res.writeHead(204).end();
          }
        });
      });
      await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${receiver.address().port}/hook`;
      try {
        const hooks = [{ url, secret, events: ['call.started', 'call.ended'], include_transcript: true }];
        assert.equal((await api('POST', '/v1/agents', { ...k, body: { id: 'hooked', name: 'Hooked', webhooks: hooks } })).status, 201);
        // Secrets are write-only: masked in responses; sending the mask back keeps the stored one.
        const shown = (await api('GET', '/v1/agents/hooked', k)).json;
        assert.notEqual(shown.webhooks[0].secret, secret);
        assert.ok(!JSON.stringify(shown).includes(secret), 'no secret in the agent response');
        assert.match(shown.webhooks[0].id, /^wh_/);
        // Edit the URL (same receiver) and send the mask back: the secret stays, matched by the target's id.
        const edited = shown.webhooks.map((h) => ({ ...h, url: `${url}?edited=1` }));
        const put = await api('PUT', '/v1/agents/hooked', { ...k, body: { name: 'Hooked', version: shown.version, webhooks: edited } });
        assert.equal(put.status, 200, JSON.stringify(put.json));
        assert.ok(!JSON.stringify(put.json).includes(secret));
        assert.equal(put.json.webhooks[0].id, shown.webhooks[0].id);
        const unmatched = { name: 'Hooked', webhooks: [{ ...edited[0], id: 'wh_nobody' }] };
        assertError(await api('PUT', '/v1/agents/hooked', { ...k, body: unmatched }), 400, 'invalid_agent', 'webhooks[0].secret');
        const c = (await api('POST', '/v1/calls', { ...k, body: { agent_id: 'hooked' } })).json;
        const base = `/v1/conversations/${c.conversation_id}`;
        await api('POST', `${base}/status`, { ...k, body: { status: 'in_progress' } });
        await api('POST', `${base}/turns`, { ...k, body: { turn_id: 'w1', role: 'user', text: 'bye', started_at: 5 } });
        await api('POST', `${base}/end`, k);
        // call.started twice (500, then 204) and call.ended once; transcript.ready is not subscribed.
        const deadline = Date.now() + 10000;
        while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(received.length, 3, JSON.stringify(received.map((r) => r.headers['convox-event'])));
        for (const r of received) {
          const [, t, v1] = r.headers['convox-signature'].match(/^t=(\d+),v1=([0-9a-f]{64})$/);
          const expected = crypto.createHmac('sha256', secret).update(`${t}.${r.body}`).digest('hex');
          assert.equal(v1, expected);
          assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60);
          assert.equal(JSON.parse(r.body).conversation_id, c.conversation_id);
        }
        const started = received.filter((r) => r.headers['convox-event'] === 'call.started');
        assert.equal(started.length, 2);
        assert.equal(started[0].headers['convox-delivery'], started[1].headers['convox-delivery']);
        const ended = JSON.parse(received.find((r) => r.headers['convox-event'] === 'call.ended').body);
        assert.deepEqual(ended.transcript.turns, [{ role: 'user', text: 'bye', started_at: 5, interrupted: false }]);

        let log;
        while (Date.now() < deadline) {
          log = (await api('GET', `${base}/webhook-deliveries`, k)).json.deliveries;
          if (log.length >= 3) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const startedLog = log.filter((d) => d.event === 'call.started');
        assert.deepEqual(startedLog.map((d) => [d.attempt, d.status_code, d.delivered]), [[1, 500, false], [2, 204, true]]);
        assert.equal(log.find((d) => d.event === 'call.ended').delivered, true);
        assertError(await api('GET', `${base}/webhook-deliveries`, { key: teamB.key }), 404, 'not_found');
        const noSecret = await api('POST', '/v1/agents', { ...k, body: { name: 'x', webhooks: [{ url }] } });
        assertError(noSecret, 400, 'invalid_agent', 'webhooks[0].secret');
      } finally {
        receiver.close();
      }
    });

    test("the seed's webhook form delivers: on_call_end gets call.ended, on_transcript_ready the transcript", async () => {
      const k = { key: teamA.key };
      const received = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          received.push({ path: req.url, headers: req.headers, body });
          res.writeHead(204).end();
        });
      });
      await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
      const origin = `http://127.0.0.1:${receiver.address().port}`;
      try {
        const conversationFor = async (agent) => {
          assert.equal((await api('POST', '/v1/agents', { ...k, body: agent })).status, 201);
          const c = (await api('POST', '/v1/calls', { ...k, body: { agent_id: agent.id } })).json;
          const base = `/v1/conversations/${c.conversation_id}`;
          await api('POST', `${base}/status`, { ...k, body: { status: 'in_progress' } });
          await api('POST', `${base}/turns`, { ...k, body: { turn_id: 's1', role: 'user', text: 'main kal bhugtan karunga', started_at: 7 } });
          await api('POST', `${base}/end`, k);
          return c.conversation_id;
        };
        const waitFor = async (n) => {
          const deadline = Date.now() + 10000;
          while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          assert.equal(received.length, n, JSON.stringify(received.map((r) => [r.path, r.headers['convox-event']])));
        };
        const unsignedId = await conversationFor({
          ...seedAgent,
          id: 'seed-hooks',
          webhooks: { on_call_end: `${origin}/hooks/call-complete`, on_transcript_ready: `${origin}/hooks/transcript` },
        });
        await waitFor(2);
        const end = received.find((r) => r.path === '/hooks/call-complete');
        const ready = received.find((r) => r.path === '/hooks/transcript');
        assert.equal(end.headers['convox-event'], 'call.ended');
        assert.equal(JSON.parse(end.body).conversation_id, unsignedId);
        assert.equal(JSON.parse(end.body).transcript, undefined);
        assert.equal(ready.headers['convox-event'], 'transcript.ready');
        assert.deepEqual(JSON.parse(ready.body).transcript.turns, [{ role: 'user', text: 'main kal bhugtan karunga', started_at: 7, interrupted: false }]);
        // No secret, no signature (an HMAC under an empty key would prove nothing).
        assert.equal(end.headers['convox-signature'], undefined);
        assert.equal(ready.headers['convox-signature'], undefined);

        // With our `secret` extension both are signed; the secret is write-only.
        const secret = 'seed-form-secret-' + backend.name;
        received.length = 0;
        const signedAgent = { ...seedAgent, id: 'seed-hooks-signed', webhooks: { on_transcript_ready: `${origin}/t`, secret } };
        await conversationFor(signedAgent);
        await waitFor(1);
        const [, t, v1] = received[0].headers['convox-signature'].match(/^t=(\d+),v1=([0-9a-f]{64})$/);
        assert.equal(v1, crypto.createHmac('sha256', secret).update(`${t}.${received[0].body}`).digest('hex'));
        const shown = await api('GET', '/v1/agents/seed-hooks-signed', k);
        assert.equal(shown.json.webhooks.secret, '********');
        assert.ok(!shown.text.includes(secret));
      } finally {
        receiver.close();
      }
    });

    test('every response matched the OpenAPI document', () => {
      assert.equal(openapi.openapi, '3.0.3');
      assert.ok(exchanges.length > 50);
      const problems = exchanges
        // 405 answers a method the document does not list, so there is nothing to match it against.
        .filter((e) => e.pathname.startsWith('/v1/') && e.pathname !== '/v1/openapi.json' && e.status !== 405)
        .flatMap((e) => responseProblems(openapi, e));
      assert.deepEqual(problems, []);
    });
  });
}

// The dev key is public: data written by a --dev server must not let it in
// on a server started without --dev, and revoking it sticks.
describe('the dev key outside --dev', () => {
  test('is refused without --dev, and a revoked dev key stays revoked', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'convox-devkey-'));
    const get = (server, headers) => fetch(server.httpUrl + '/v1/api-keys', { headers });
    let server = await startServer({ args: ['--data-dir', dataDir] });
    assert.equal((await get(server, { 'x-api-key': DEV_KEY })).status, 200);
    const bearer = { authorization: `Bearer ${DEV_KEY}` };
    assert.equal(await upgradeStatus(`${server.wsUrl}/agent`, bearer), 101, 'with --dev it registers a dev-team worker');
    assert.equal(await upgradeStatus(`${server.wsUrl}/agent?access_token=${DEV_KEY}`), 401, 'a team key is taken from the header only');
    await server.stop();

    server = await startServer({ noDev: true, args: ['--data-dir', dataDir, '--keys', `${API_KEY}: ${API_SECRET}`, '--bind', '127.0.0.1'] });
    try {
      for (const headers of [{ 'x-api-key': DEV_KEY }, { authorization: `Bearer ${DEV_KEY}` }]) {
        const r = await get(server, headers);
        assert.equal(r.status, 401);
        assert.match((await r.json()).error.message, /--dev/);
      }
      assert.equal(await upgradeStatus(`${server.wsUrl}/agent`, { authorization: `Bearer ${DEV_KEY}` }), 401,
        'nor does it register a worker that would be offered the dev team\'s jobs');
      assert.match(server.stderr, /holds data written with --dev/);
    } finally {
      await server.stop();
    }

    server = await startServer({ args: ['--data-dir', dataDir] });
    try {
      const keys = await (await get(server, { 'x-api-key': DEV_KEY })).json();
      const dev = keys.api_keys.find((key) => key.prefix === DEV_KEY.slice(0, 8));
      const revoked = await fetch(`${server.httpUrl}/v1/api-keys/${dev.id}`, { method: 'DELETE', headers: { 'x-api-key': DEV_KEY } });
      assert.equal(revoked.status, 204);
    } finally {
      await server.stop();
    }
    server = await startServer({ args: ['--data-dir', dataDir] });
    try {
      assert.equal((await get(server, { 'x-api-key': DEV_KEY })).status, 401);
    } finally {
      await server.stop();
    }
  });
});

// Without --dev's allowance, agent webhooks may not reach the server's own
// network: a team's URL pointing at loopback is refused once, not retried,
// and the refusal is in the delivery log.
describe('agent webhooks outside dev mode', () => {
  test('targets on loopback are refused with the reason and never contacted', async () => {
    let contacted = 0;
    const receiver = http.createServer((req, res) => {
      contacted++;
      res.writeHead(204).end();
    });
    await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
    const port = receiver.address().port;
    const server = await startServer({
      args: ['--data-dir', mkdtempSync(path.join(tmpdir(), 'convox-ssrf-'))],
      env: { CONVOX_AGENT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' },
    });
    try {
      const call = async (method, pathname, body) => {
        const res = await fetch(server.httpUrl + pathname, {
          method,
          headers: { 'x-api-key': DEV_KEY, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, json: await res.json() };
      };
      const hooks = [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/hook`]
        .map((url) => ({ url, secret: 's3cret', events: ['call.started'] }));
      assert.equal((await call('POST', '/v1/agents', { id: 'ssrf', name: 'SSRF', webhooks: hooks })).status, 201);
      const c = (await call('POST', '/v1/calls', { agent_id: 'ssrf' })).json;
      await call('POST', `/v1/conversations/${c.conversation_id}/status`, { status: 'in_progress' });
      let log = [];
      const deadline = Date.now() + 10000;
      while (log.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        log = (await call('GET', `/v1/conversations/${c.conversation_id}/webhook-deliveries`)).json.deliveries;
      }
      assert.equal(log.length, 3, JSON.stringify(log));
      for (const d of log) {
        assert.equal(d.delivered, false);
        assert.equal(d.attempt, 1);
        assert.equal(d.status_code, null);
        assert.match(d.error, /^refused: .* loopback address/, d.error);
      }
      // A retry would come after 0.5 s; none does, and nothing reached the receiver.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await call('GET', `/v1/conversations/${c.conversation_id}/webhook-deliveries`)).json.deliveries.length, 3);
      assert.equal(contacted, 0);
    } finally {
      await server.stop();
      receiver.close();
    }
  });
});
