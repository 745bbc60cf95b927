// Open-loop load on the /v1 API: requests are sent on a fixed schedule
// (not when the previous one returns), and latency is measured from each
// request's scheduled time, so a stalled server shows up in the tail instead
// of slowing the load down (no coordinated omission).
//
//   node bench/control_api_load.mjs [--rate 1000] [--seconds 10] [--store sqlite|postgres]
//   (CONVOX_BIN_DIR = the build's app dir; --store postgres needs CONVOX_TEST_DATABASE_URL)
//
// Prints p50/p90/p99/max for GET /v1/conversations (page of 50) and for turn
// ingest (POST .../turns, every request a new turn).
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer } from '../tests/interop/lib/server.mjs';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, store: { type: 'string', default: 'sqlite' } },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const storeArgs =
  values.store === 'postgres'
    ? ['--database-url', process.env.CONVOX_TEST_DATABASE_URL]
    : ['--data-dir', mkdtempSync(path.join(tmpdir(), 'convox-bench-'))];

const server = await startServer({ args: [...storeArgs, '--log-level', 'warn'] });
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const KEY = 'convox-dev-key';

function request(method, pathname, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method, path: pathname, agent, headers: { 'x-api-key': KEY, ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// Seed: one agent, 200 conversations so the list reads a full page.
await request('POST', '/v1/agents', { id: 'bench', name: 'bench' });
const conversations = [];
for (let i = 0; i < 200; i++) conversations.push(JSON.parse((await request('POST', '/v1/calls', { agent_id: 'bench' })).text).conversation_id);

async function run(name, makeRequest) {
  const total = rate * seconds;
  const latencies = new Float64Array(total);
  let failures = 0;
  const start = performance.now() + 50;
  const pending = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      makeRequest(i).then(
        (r) => {
          latencies[i] = performance.now() - scheduled;
          if (r.status >= 300) failures++;
        },
        () => {
          latencies[i] = performance.now() - scheduled;
          failures++;
        },
      ),
    );
  }
  await Promise.all(pending);
  const achieved = total / ((performance.now() - start) / 1000);
  latencies.sort();
  const q = (p) => latencies[Math.min(total - 1, Math.floor(p * total))].toFixed(2);
  console.log(
    `${values.store} ${name}: ${total} requests at ${rate}/s (achieved ${achieved.toFixed(0)}/s), ` +
      `p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${latencies[total - 1].toFixed(2)} ms, failures ${failures}`,
  );
}

await run('GET /v1/conversations', () => request('GET', '/v1/conversations?limit=50'));
await run('POST turns', (i) =>
  request('POST', `/v1/conversations/${conversations[i % conversations.length]}/turns`, {
    turn_id: `t${i}`,
    role: i % 2 ? 'agent' : 'user',
    text: 'a sentence of about the length people say on a phone call',
    started_at: i,
  }),
);
agent.destroy();
await server.stop();
