// Smoke run of the SFU load tool (bench/sfu_load): one room, one publisher,
// one subscriber for 3 s over 127.0.0.1. Checks that the tool's rtc/-based
// participants get through LiveKit signalling and that real Opus packets are
// forwarded to the subscriber with the send-time extension intact. No
// timing thresholds: the figures themselves are the benchmark's business.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, run, binDir, API_KEY, API_SECRET } from './lib/server.mjs';

const tool = process.env.CONVOX_SFU_LOAD_BIN ?? path.resolve(binDir, '../bench/convox-sfu-load');
// Sanitizer builds leave bench/ out; say so instead of passing.
const missing = existsSync(tool) ? false : `convox-sfu-load is not built (${tool})`;

let server;
before(async () => {
  if (!missing) server = await startServer({ config: 'rtc:\n  interfaces: [127.0.0.1]\n' });
});
after(async () => {
  await server?.stop();
});

test('sfu load tool: 1 room x (1 publisher + 1 subscriber) forwards audio', { skip: missing }, async () => {
  const { code, stdout, stderr } = await run(path.relative(binDir, tool), [
    '--url', server.wsUrl, '--key', API_KEY, '--secret', API_SECRET,
    '--rooms', '1', '--publishers', '1', '--subscribers', '1', '--seconds', '3', '--warmup', '0.5',
  ]);
  assert.equal(code, 0, `the load tool failed:\n${stderr}\n${stdout}`);
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON report in:\n${stdout}`);
  const report = JSON.parse(line);
  assert.equal(report.streams_received, 1);
  // 3 s at 50 packets/s: most of 150 packets must have arrived.
  assert.ok(report.received > 100, `only ${report.received} packets forwarded`);
  assert.ok(report.received <= report.expected + 1, 'more packets than the sequence numbers account for');
  assert.ok(report.latency_samples > 100, 'the send-time extension did not come through');
  assert.ok(report.latency_us.p50 > 0);
  assert.equal(typeof report.server_cpu_us_per_packet, 'number', 'server CPU was not measured');
  assert.equal(report.failures, 0);
  // The server is still serving after the participants left.
  const health = await fetch(`${server.httpUrl}/healthz`);
  assert.equal(health.status, 200);
});
