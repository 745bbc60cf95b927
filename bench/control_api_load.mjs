// Open-loop load on the /v1 API: requests go out on a fixed schedule (not
// when the previous one returns), so a stalled server shows up in the tail
// instead of slowing the load down (no coordinated omission).
//
//   node bench/control_api_load.mjs [--rate 1000] [--seconds 10] [--store sqlite|postgres] [--generators 2]
//   (CONVOX_BIN_DIR = the build's app dir; --store postgres needs CONVOX_TEST_DATABASE_URL)
//
// Load comes from --generators worker threads, each with its own keep-alive
// sockets and its share of the schedule. Every time is read from one monotonic
// clock, process.hrtime.bigint() (CLOCK_MONOTONIC, the same in every thread;
// performance.now() is not: each thread has its own time origin). A request is
// never sent before its scheduled time, and per request the tool records:
//   lag      = sent - scheduled    how far behind schedule the generator fell
//   service  = done - sent         the request as the client saw it
//   latency  = done - scheduled    what a caller on the schedule waited (service + lag)
// Any negative interval is a bug in the tool: it says so and exits 1 instead of
// printing figures. Prints p50/p99/max of each, and the achieved send rate, for
// GET /v1/conversations (a page of 50) and turn ingest (POST .../turns).
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const KEY = 'convox-dev-key';
const nowNs = () => process.hrtime.bigint();

function request(agent, port, method, pathname, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { 'x-api-key': KEY, ...(payload ? { 'content-type': 'application/json' } : {}) };
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const scenarios = {
  list: () => ['GET', '/v1/conversations?limit=50', undefined],
  turns: (i, conversations) => [
    'POST',
    `/v1/conversations/${conversations[i % conversations.length]}/turns`,
    { turn_id: `t${i}`, role: i % 2 ? 'agent' : 'user', text: 'a sentence of about the length people say on a phone call', started_at: i },
  ],
};

// One generator thread: requests `index, index + stride, ...` of the schedule.
async function generate({ port, scenario, conversations, startNs, intervalNs, total, index, stride, sockets }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const mine = Math.ceil((total - index) / stride);
  const lag = new Float64Array(mine);
  const service = new Float64Array(mine);
  const latency = new Float64Array(mine);
  let failures = 0;
  let firstSent = 0n;
  let lastSent = 0n;
  const pending = [];
  for (let k = 0; k < mine; k++) {
    const i = index + k * stride;
    const scheduled = BigInt(startNs) + BigInt(i) * BigInt(intervalNs);
    // Sleep until the scheduled time has come (timers have ~1 ms granularity:
    // requests due meanwhile go out together, and the delay shows as lag).
    // No spinning: the generators share the cores with the server.
    for (;;) {
      const ahead = Number(scheduled - nowNs()) / 1e6;
      if (ahead <= 0) break;
      await new Promise((r) => setTimeout(r, Math.max(1, Math.floor(ahead))));
    }
    const sent = nowNs();
    if (k === 0) firstSent = sent;
    lastSent = sent;
    const [method, pathname, body] = scenarios[scenario](i, conversations);
    const record = (ok) => {
      const done = nowNs();
      lag[k] = Number(sent - scheduled) / 1e6;
      service[k] = Number(done - sent) / 1e6;
      latency[k] = Number(done - scheduled) / 1e6;
      if (!ok) failures++;
    };
    pending.push(request(agent, port, method, pathname, body).then((r) => record(r.status < 300), () => record(false)));
  }
  await Promise.all(pending);
  agent.destroy();
  return { lag, service, latency, failures, firstSent, lastSent, doneAt: nowNs() };
}

if (!isMainThread) {
  // Started and loaded: wait for the common start time, so that thread start-up
  // does not turn into a backlog burst at the beginning of the schedule.
  parentPort.postMessage('ready');
  const startNs = await new Promise((resolve) => parentPort.once('message', resolve));
  parentPort.postMessage(await generate({ ...workerData, startNs }));
} else {
  await main();
}

function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], min: sorted[0] };
}

function concat(arrays) {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

async function main() {
  const { startServer } = await import('../tests/interop/lib/server.mjs');
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      store: { type: 'string', default: 'sqlite' },
      generators: { type: 'string', default: '2' },
      sockets: { type: 'string', default: '64' }, // keep-alive sockets per generator
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const generators = Number(values.generators);
  if (!(rate > 0 && seconds > 0 && Number.isInteger(generators) && generators > 0)) {
    console.error('control_api_load: --rate and --seconds must be positive, --generators a positive integer');
    process.exit(2);
  }
  if (values.store === 'postgres' && !process.env.CONVOX_TEST_DATABASE_URL) {
    console.error('control_api_load: --store postgres needs CONVOX_TEST_DATABASE_URL');
    process.exit(2);
  }
  const storeArgs =
    values.store === 'postgres'
      ? ['--database-url', process.env.CONVOX_TEST_DATABASE_URL]
      : ['--data-dir', mkdtempSync(path.join(tmpdir(), 'convox-bench-'))];
  const server = await startServer({ args: [...storeArgs, '--log-level', 'warn'] });
  let exitCode = 0;
  try {
    // Seed: one agent, 200 conversations so the list reads a full page.
    const seedAgent = new http.Agent({ keepAlive: true });
    const seed = (method, p, body) => request(seedAgent, server.port, method, p, body);
    await seed('POST', '/v1/agents', { id: 'bench', name: 'bench' });
    const conversations = [];
    for (let i = 0; i < 200; i++) conversations.push(JSON.parse((await seed('POST', '/v1/calls', { agent_id: 'bench' })).text).conversation_id);
    seedAgent.destroy();

    for (const [scenario, label] of [['list', 'GET /v1/conversations'], ['turns', 'POST turns']]) {
      const line = await run({ scenario, label, rate, seconds, generators, sockets: Number(values.sockets), port: server.port, conversations, store: values.store });
      console.log(line);
    }
  } catch (e) {
    console.error(`control_api_load: ${e.message}`);
    exitCode = 1;
  } finally {
    await server.stop();
  }
  process.exit(exitCode);
}

async function run({ scenario, label, rate, seconds, generators, sockets, port, conversations, store }) {
  const total = Math.round(rate * seconds);
  const intervalNs = Math.round(1e9 / rate);
  const self = fileURLToPath(import.meta.url);
  const workers = Array.from(
    { length: generators },
    (_, index) => new Worker(self, { workerData: { port, scenario, conversations, intervalNs, total, index, stride: generators, sockets } }),
  );
  const next = (w) =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(workers.map(next)); // 'ready'
  const startNs = (nowNs() + 20_000_000n).toString(); // 20 ms from now, on the shared monotonic clock
  const finished = workers.map(next);
  for (const w of workers) w.postMessage(startNs);
  const results = await Promise.all(finished);
  const lag = concat(results.map((r) => r.lag));
  const service = concat(results.map((r) => r.service));
  const latency = concat(results.map((r) => r.latency));
  const failures = results.reduce((n, r) => n + r.failures, 0);
  const firstSent = results.reduce((m, r) => (r.firstSent < m ? r.firstSent : m), results[0].firstSent);
  const lastSent = results.reduce((m, r) => (r.lastSent > m ? r.lastSent : m), results[0].lastSent);
  const doneAt = results.reduce((m, r) => (r.doneAt > m ? r.doneAt : m), results[0].doneAt);
  const sendSpan = Number(lastSent - firstSent) / 1e9;
  const wall = Number(doneAt - BigInt(startNs)) / 1e9;

  // Self-check: every figure must be a real interval on the one clock.
  const intervals = { lag: percentiles(lag), service: percentiles(service), latency: percentiles(latency) };
  for (const [name, p] of Object.entries(intervals)) {
    if (!(p.min >= 0)) throw new Error(`${label}: a negative ${name} interval (${p.min} ms): the measurement is wrong, no figures printed`);
  }
  if (!(sendSpan >= 0 && wall > 0)) throw new Error(`${label}: negative run time: the measurement is wrong, no figures printed`);

  const f = (v) => v.toFixed(2);
  const achieved = total > 1 && sendSpan > 0 ? (total - 1) / sendSpan : total / wall;
  return (
    `${store} ${label}: ${total} requests at ${rate}/s from ${generators} generator(s): sent at ${achieved.toFixed(0)}/s, ` +
    `completed at ${(total / wall).toFixed(0)}/s; latency p50 ${f(intervals.latency.p50)} p99 ${f(intervals.latency.p99)} max ${f(intervals.latency.max)} ms; ` +
    `service p50 ${f(intervals.service.p50)} p99 ${f(intervals.service.p99)} ms; ` +
    `behind schedule p50 ${f(intervals.lag.p50)} p99 ${f(intervals.lag.p99)} max ${f(intervals.lag.max)} ms; failures ${failures}`
  );
}
