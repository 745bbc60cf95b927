// Smoke run of the agent load tool (bench/agent_load) over 127.0.0.1: two
// simulated callers on the client library call an agent on the zero-cost
// convox-test providers through convox-server and a convox-worker, each
// hears the first message, says book_appointment.wav once and hears the
// reply; the tool matches both turns to their stored per-stage timings and
// reads the worker's memory. Then the worker's /metrics holds the stage and
// voice-to-voice histograms of those turns. No timing thresholds: the
// figures are the benchmark's business.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { API_KEY, API_SECRET, binDir, freePort, run, startServer } from './lib/server.mjs';
import { media } from './lib/browser.mjs';

const DEV_KEY = 'convox-dev-key';
const tool = process.env.CONVOX_AGENT_LOAD_BIN ?? path.resolve(binDir, '../bench/convox-agent-load');
// Sanitizer builds leave bench/ out; say so instead of passing.
const missing = existsSync(tool) ? false : `convox-agent-load is not built (${tool})`;

let server;
let worker;
let workerLog = '';
let metricsPort;

before(async () => {
  if (missing) return;
  server = await startServer({ config: 'rtc:\n  interfaces: [127.0.0.1]\n' });
  metricsPort = await freePort();
  worker = spawn(path.join(binDir, 'convox-worker'), ['--ice-address', '127.0.0.1', '--log-level', 'info'], {
    env: {
      ...process.env,
      LIVEKIT_URL: server.wsUrl,
      LIVEKIT_API_KEY: API_KEY,
      LIVEKIT_API_SECRET: API_SECRET,
      CONVOX_WORKER_METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout.on('data', (d) => (workerLog += d));
  worker.stderr.on('data', (d) => (workerLog += d));
  const deadline = Date.now() + 20000;
  while (!workerLog.includes('registered as AW_')) {
    assert.ok(Date.now() < deadline, `the worker did not register:\n${workerLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await fetch(`${server.httpUrl}/v1/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'load-fake',
      name: 'Load',
      first_message: 'Hello.',
      stt: { provider: 'convox-test' },
      llm: { provider: 'convox-test' },
      tts: { provider: 'convox-test' },
    }),
  });
  assert.equal(res.status, 201, await res.text());
});

after(async () => {
  worker?.kill('SIGKILL');
  await server?.stop();
});

test('agent load tool: 2 callers x 1 prompt against convox-test providers, then the worker /metrics', { skip: missing }, async () => {
  const { code, stdout, stderr } = await run(path.relative(binDir, tool), [
    '--url', server.httpUrl, '--api-key', DEV_KEY, '--agent', 'load-fake',
    '--prompt', media('book_appointment.wav'), '--callers', '2', '--turns', '1', '--spread', '0.5',
    '--worker-pid', String(worker.pid), '--label', 'smoke',
  ]);
  assert.equal(code, 0, `the load tool failed:\n${stderr}\n${stdout}\nworker log:\n${workerLog.slice(-4000)}`);
  const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const step = lines.find((l) => l.callers === 2);
  const summary = lines.find((l) => l.summary);
  assert.ok(step && summary, `no step and summary report in:\n${stdout}`);
  assert.equal(step.failures, 0, step.first_failure);
  assert.equal(step.label, 'smoke');
  // Both callers heard a reply and both replies were found among the stored turns.
  assert.equal(step.voice_to_voice_ms.n, 2);
  assert.equal(step.audible_ms.n, 2, 'the reply tone was not audible after decoding');
  assert.equal(step.worker_voice_to_voice_ms.n, 2, 'the stored turns were not matched');
  for (const stage of ['endpointing', 'stt', 'llm_first_token', 'tts_first_audio', 'transport']) {
    assert.equal(step.stages_ms[stage].n, 2, stage);
    assert.ok(step.stages_ms[stage].p50 >= 0, stage);
  }
  // What the caller waits for includes the worker's endpointing wait.
  assert.ok(step.voice_to_voice_ms.p50 >= step.stages_ms.endpointing.p50, JSON.stringify(step));
  assert.equal(step.outside_worker_ms.n, 2);
  assert.equal(typeof step.pipeline_overhead_ms.p50, 'number');
  assert.ok(step.worker_rss_kib > 0 && step.worker_rss_idle_kib > 0, 'the worker memory was not read');
  assert.equal(summary.max_callers_within_limit, 2);

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  for (const stage of ['endpointing', 'stt', 'llm_first_token', 'tts_first_audio', 'transport']) {
    const count = metrics.match(new RegExp(`convox_worker_stage_latency_seconds_count\\{stage="${stage}"\\} (\\d+)`));
    assert.ok(count, `no ${stage} histogram in:\n${metrics}`);
    assert.ok(Number(count[1]) >= 2, `${stage}: ${count[1]} observations`);
  }
  const v2v = metrics.match(/convox_worker_voice_to_voice_seconds_count (\d+)/);
  assert.ok(v2v && Number(v2v[1]) >= 2, `voice-to-voice: ${v2v?.[1]}`);
  assert.match(metrics, /convox_worker_voice_to_voice_seconds_bucket\{le="0\.5"\}/);
  assert.match(metrics, /convox_worker_calls_started_total 2/);
  assert.match(metrics, /convox_worker_active_calls \d+/);
  assert.match(metrics, /convox_worker_compute_queue_depth \d+/);
});
