// Smoke run of the SFU load tool's Janus mode (convox-sfu-load --server
// janus), which bench/sfu_vs_janus.sh uses to measure Convox beside Janus
// 1.1.2 with one generator: one VideoRoom with one publisher and two
// subscribers for 3 s. Checks that the tool gets through Janus's JSON API
// (room creation, joinandconfigure with our offer, subscribe, start with our
// answer) and that Janus forwards the Opus stream to both. Janus gathers no
// loopback candidates, so this runs inside tests/interop/lib/netns.sh
// (ICE on 10.77.0.1 and .2). No timing thresholds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, binDir } from '../lib/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tool = process.env.CONVOX_SFU_LOAD_BIN ?? path.resolve(binDir, '../bench/convox-sfu-load');
const hasJanus = spawnSync('sh', ['-c', 'command -v janus'], { stdio: 'ignore' }).status === 0;
// Sanitizer builds leave bench/ out; say so instead of passing.
const missing = !existsSync(tool)
  ? `convox-sfu-load is not built (${tool})`
  : !hasJanus
    ? 'janus is not installed (scripts/install-deps.sh installs it)'
    : false;

let janus;
let port;
let work;

before(async () => {
  if (missing) return;
  work = mkdtempSync(path.join(os.tmpdir(), 'convox-janus-'));
  // The bench scripts' own start-up: the same configuration the comparison uses.
  // On SIGTERM the shell stops Janus and waits for it before exiting.
  const script =
    'source bench/start_server.sh; start_janus_server smoke; trap "stop_bench_server; exit 0" TERM; ' +
    'echo "ready $port"; wait "$server"';
  janus = spawn('bash', ['-c', script], {
    cwd: root,
    env: { ...process.env, work, CONVOX_BENCH_ICE_ADDRESS: '10.77.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  janus.stderr.on('data', (d) => (err += d));
  port = await new Promise((resolve, reject) => {
    janus.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ready (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    janus.on('exit', (code) => reject(new Error(`Janus did not start (${code}):\n${err}`)));
  });
});

after(async () => {
  if (janus && janus.exitCode === null) {
    janus.kill('SIGTERM');
    await new Promise((resolve) => janus.on('exit', resolve));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test('sfu load tool: Janus VideoRoom, 1 publisher + 2 subscribers, forwards audio', { skip: missing }, async () => {
  const { code, stdout, stderr } = await run(path.relative(binDir, tool), [
    '--server', 'janus', '--url', `ws://127.0.0.1:${port}`, '--ice-address', '10.77.0.2',
    '--rooms', '1', '--publishers', '1', '--subscribers', '2', '--seconds', '3', '--warmup', '0.5',
  ]);
  assert.equal(code, 0, `the load tool failed:\n${stderr}\n${stdout}`);
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON report in:\n${stdout}`);
  const report = JSON.parse(line);
  assert.equal(report.server, 'janus');
  assert.equal(report.streams_received, 2);
  // 3 s at 50 packets/s to each of two subscribers.
  assert.ok(report.received > 200, `only ${report.received} packets forwarded`);
  assert.ok(report.received <= report.expected + 2, 'more packets than the sequence numbers account for');
  assert.equal(typeof report.server_cpu_us_per_packet, 'number', "Janus's CPU was not measured");
  assert.equal(report.failures, 0);
});
