#!/usr/bin/env node
// Per-packet cost of rtc/'s packet path: convox-rtc-echo in forward mode
// (receive -> SRTP unprotect -> rewrite SSRC -> SRTP protect -> send) driven
// by N client streams of real Opus at 50 packets/s over 127.0.0.1. Reports
// the echo process's CPU time per echoed packet, from /proc/<pid>/stat.
//   node bench/rtc_echo_load.mjs [--build build] [--seconds 10] [--streams 1,10,50,100] [--srtp gcm|aescm]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const build = path.resolve(root, arg('build', 'build'));
const seconds = Number(arg('seconds', '10'));
const streamCounts = arg('streams', '1,10,50,100').split(',').map(Number);
const srtp = arg('srtp', 'gcm');
const ticksPerSecond = 100; // USER_HZ on Linux

function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function lines(child, onLine) {
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

async function measure(streams) {
  const echo = spawn(path.join(build, 'tests/convox-rtc-echo'), ['--port', '0', '--ice-address', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) => lines(echo, (l) => {
    const m = l.match(/listening on [\d.]+:(\d+)/);
    if (m) resolve(Number(m[1]));
  }));
  const client = spawn(path.join(build, 'tests/convox-rtc-client'), [
    '--url', `http://127.0.0.1:${port}/offer?mode=forward&srtp=${srtp}`, '--ice-address', '127.0.0.1',
    '--streams', String(streams), '--seconds', String(seconds), '--srtp', srtp,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  let startTicks = 0;
  let startTime = 0;
  const result = await new Promise((resolve, reject) => {
    lines(client, (l) => {
      if (l === 'ready') {
        startTicks = cpuTicks(echo.pid);
        startTime = Date.now();
      } else if (l.startsWith('{')) {
        resolve({ ...JSON.parse(l), ticks: cpuTicks(echo.pid) - startTicks, wall: (Date.now() - startTime) / 1000 });
      }
    });
    client.on('exit', (code) => code && reject(new Error(`client exited with ${code}`)));
  });
  echo.kill('SIGTERM');
  const cpuSeconds = result.ticks / ticksPerSecond;
  return {
    streams,
    packetsPerSecond: Math.round(result.received / result.wall),
    lossPercent: (100 * (result.sent - result.received)) / result.sent,
    serverCpuPercent: (100 * cpuSeconds) / result.wall,
    serverMicrosPerPacket: (1e6 * cpuSeconds) / result.received,
  };
}

console.log(`rtc echo load: ${seconds} s per run, SRTP ${srtp}, loopback`);
console.log('streams  pkts/s  loss%  server-cpu%  server-us/packet');
for (const n of streamCounts) {
  const r = await measure(n);
  console.log(
    `${String(r.streams).padStart(7)}  ${String(r.packetsPerSecond).padStart(6)}  ${r.lossPercent.toFixed(2).padStart(5)}  ` +
      `${r.serverCpuPercent.toFixed(1).padStart(11)}  ${r.serverMicrosPerPacket.toFixed(2).padStart(16)}`,
  );
}
