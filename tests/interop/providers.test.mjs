// /v1/providers against a real convox-server: credentials are configured,
// listed with a hint only, checked with POST /v1/providers/{id}/test against
// local stand-ins of the providers' APIs (which check the auth header they
// receive), survive a restart (the --dev key file), stay within their team,
// and reach a call's worker only through its job token. Every exchange is
// checked against /v1/openapi.json.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccessToken } from 'livekit-server-sdk';
import { API_KEY, API_SECRET, run, startServer } from './lib/server.mjs';
import { responseProblems } from './lib/openapi_check.mjs';

const DEV_KEY = 'convox-dev-key';
const OPENAI_KEY = 'sk-test-openai-0123456789abcdef';
const DEEPGRAM_KEY = 'dg-test-0123456789abcdef';
const ELEVEN_KEY = 'xi-test-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdef';

// One local server standing in for several providers, by path; each answers
// 200 only when the credential arrives the way that provider takes it.
function startProviders() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const h = req.headers;
    const ok =
      (req.url === '/v1/models' && h.authorization === `Bearer ${OPENAI_KEY}`) ||
      (req.url === '/dg/v1/projects' && h.authorization === `Token ${DEEPGRAM_KEY}`) ||
      (req.url === '/el/v1/user' && h['xi-api-key'] === ELEVEN_KEY) ||
      (req.url === '/an/v1/models' && h['x-api-key'] === ANTHROPIC_KEY && h['anthropic-version'] === '2023-06-01');
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"data":[]}' : '{"error":{"message":"invalid key"}}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, seen, base: `http://127.0.0.1:${server.address().port}` })),
  );
}

describe('provider credentials', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'convox-providers-'));
  const exchanges = [];
  let server;
  let providers;
  let openapi;
  let teamB;

  async function api(method, pathname, { key = DEV_KEY, body } = {}) {
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.httpUrl + pathname, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type');
    exchanges.push({ method, pathname, status: res.status, contentType, body: text });
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  }
  const start = () => startServer({ args: ['--data-dir', dataDir, '--log-level', 'debug'] });

  before(async () => {
    providers = await startProviders();
    const created = await run('convox-server', ['--dev', '--data-dir', dataDir, '--create-team', 'other']);
    assert.equal(created.code, 0, created.stderr);
    teamB = created.stdout.match(/api key: (\S+)/)[1];
    server = await start();
    openapi = JSON.parse(await (await fetch(`${server.httpUrl}/v1/openapi.json`)).text());
  });
  after(async () => {
    await server?.stop();
    providers?.server.close();
  });

  test('--dev keeps its generated key in the data dir, owner-only', () => {
    const file = path.join(dataDir, 'encrypt.key');
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('configure, list with a hint only, and check against the provider', async () => {
    let r = await api('POST', '/v1/providers/openai/configure', {
      body: { api_key: OPENAI_KEY, base_url: `${providers.base}/v1`, config: { organization: 'org-1' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.key_hint, '…cdef');
    assert.ok(!r.text.includes(OPENAI_KEY));

    r = await api('GET', '/v1/providers');
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(OPENAI_KEY));
    const openai = r.json.providers.find((p) => p.id === 'openai');
    assert.equal(openai.configured, true);
    assert.equal(openai.base_url, `${providers.base}/v1`);
    assert.deepEqual(openai.stages, ['stt', 'llm', 'tts']);
    assert.equal(r.json.providers.find((p) => p.id === 'deepgram').configured, false);

    providers.seen.length = 0;
    r = await api('POST', '/v1/providers/openai/test');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ok, true, r.text);
    assert.equal(r.json.status, 200);
    assert.ok(Number.isInteger(r.json.latency_ms) && r.json.latency_ms >= 0);
    assert.equal(r.json.error, null);
    assert.equal(providers.seen.length, 1);
    assert.equal(providers.seen[0].url, '/v1/models');
    assert.equal(providers.seen[0].headers.authorization, `Bearer ${OPENAI_KEY}`);

    // A posted credential is checked without being stored; a refused one says why, without the key.
    r = await api('POST', '/v1/providers/openai/test', { body: { api_key: 'sk-wrong-0000000000000000' } });
    assert.equal(r.json.ok, false);
    assert.equal(r.json.status, 401);
    assert.match(r.json.error, /openai answered HTTP 401.*refused/);
    assert.ok(!r.text.includes('sk-wrong'));
  });

  test('each provider gets its credential in its own header', async () => {
    const cases = [
      ['deepgram', DEEPGRAM_KEY, `${providers.base}/dg`],
      ['elevenlabs', ELEVEN_KEY, `${providers.base}/el`],
      ['anthropic', ANTHROPIC_KEY, `${providers.base}/an`],
    ];
    for (const [id, key, base] of cases) {
      let r = await api('POST', `/v1/providers/${id}/configure`, { body: { api_key: key, base_url: base } });
      assert.equal(r.status, 201, r.text);
      r = await api('POST', `/v1/providers/${id}/test`);
      assert.equal(r.json.ok, true, `${id}: ${r.text}`);
      r = await api('POST', `/v1/providers/${id}/test`, { body: { api_key: 'nope-000000000000' } });
      assert.equal(r.json.ok, false, id);
      assert.equal(r.json.status, 401, id);
    }
  });

  test('another team sees none of it', async () => {
    let r = await api('GET', '/v1/providers', { key: teamB });
    assert.equal(r.status, 200);
    assert.ok(r.json.providers.every((p) => p.configured === false), r.text);
    r = await api('POST', '/v1/providers/openai/test', { key: teamB });
    assert.equal(r.status, 400, 'no credential of its own to test');
    r = await api('DELETE', '/v1/providers/openai/configure', { key: teamB });
    assert.equal(r.status, 404);
  });

  test('bad input gets reasons; unknown providers 404', async () => {
    let r = await api('POST', '/v1/providers/nosuch/configure', { body: { api_key: 'x' } });
    assert.equal(r.status, 404);
    r = await api('POST', '/v1/providers/deepgram/configure', { body: { api_key: 'a b', base_url: 'ftp://x' } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.error.details.map((d) => d.field).sort(), ['api_key', 'base_url']);
  });

  test('a restart reads the key file again: stored credentials still work', async () => {
    await server.stop();
    server = await start();
    providers.seen.length = 0;
    const r = await api('POST', '/v1/providers/openai/test');
    assert.equal(r.json.ok, true, r.text);
    assert.equal(providers.seen[0].headers.authorization, `Bearer ${OPENAI_KEY}`);
  });

  test("a call's job token reads the keys of its agent's providers, nothing else", async () => {
    let r = await api('POST', '/v1/agents', {
      body: { id: 'hosted', name: 'Hosted', stt: { provider: 'deepgram' }, llm: { provider: 'openai' }, tts: { provider: 'espeak-ng' } },
    });
    assert.equal(r.status, 201, r.text);
    r = await api('POST', '/v1/calls', { body: { agent_id: 'hosted' } });
    assert.equal(r.status, 201, r.text);
    const id = r.json.conversation_id;
    const at = new AccessToken(API_KEY, API_SECRET, { identity: 'agent-test', ttl: 600 });
    at.kind = 'agent';
    at.addGrant({ roomJoin: true, room: `call_${id}`, agent: true });
    const token = await at.toJwt();
    r = await api('GET', `/v1/conversations/${id}/provider-credentials`, { key: token });
    assert.equal(r.status, 200, r.text);
    const byId = Object.fromEntries(r.json.credentials.map((c) => [c.provider, c]));
    assert.deepEqual(Object.keys(byId).sort(), ['deepgram', 'espeak-ng', 'openai']);
    assert.equal(byId.deepgram.api_key, DEEPGRAM_KEY);
    assert.equal(byId.openai.api_key, OPENAI_KEY);
    assert.equal(byId.openai.base_url, `${providers.base}/v1`);
    assert.equal(byId.deepgram.base_url, `${providers.base}/dg`, "the team's own");
    assert.equal(byId.deepgram.default_base_url, 'https://api.deepgram.com', "the catalogue's, apart");
    assert.equal(byId['espeak-ng'].base_url, null, 'in the worker');
    assert.deepEqual(byId.openai.config, { organization: 'org-1' });
    assert.ok(!r.text.includes(ELEVEN_KEY) && !r.text.includes(ANTHROPIC_KEY), 'not named by the agent');
    r = await api('GET', `/v1/conversations/${id}/provider-credentials`);
    assert.equal(r.status, 403, 'a team key does not read keys');
  });

  test('keys never reach the log; removing a credential works', async () => {
    for (const key of [OPENAI_KEY, DEEPGRAM_KEY, ELEVEN_KEY, ANTHROPIC_KEY]) {
      assert.ok(!server.stderr.includes(key), `${key} in the log`);
    }
    assert.equal((await api('DELETE', '/v1/providers/anthropic/configure')).status, 204);
    assert.equal((await api('GET', '/v1/providers/anthropic')).json.configured, false);
  });

  test('every exchange matches the OpenAPI document', () => {
    const problems = exchanges.filter((e) => !e.pathname.includes('/v1/openapi.json')).flatMap((e) => responseProblems(openapi, e));
    assert.deepEqual(problems, []);
  });
});

describe('the encryption key outside --dev', () => {
  test('the server refuses to start without one, or with a malformed one, saying why', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'convox-nokey-'));
    for (const [env, pattern] of [
      [{ CONVOX_ENCRYPT_KEY: '' }, /no encryption key configured.*CONVOX_ENCRYPT_KEY/],
      [{ CONVOX_ENCRYPT_KEY: 'abc123' }, /must be 64 hex digits/],
    ]) {
      const r = await runWithEnv(['--keys', 'k: s', '--port', '0', '--data-dir', dataDir], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.ok(!r.stderr.includes('abc123'), 'the value is not echoed');
    }
  });
});

async function runWithEnv(args, env) {
  const { spawn } = await import('node:child_process');
  const { binDir } = await import('./lib/server.mjs');
  const child = spawn(path.join(binDir, 'convox-server'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  return { code, stderr };
}
