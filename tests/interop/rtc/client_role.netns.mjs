// rtc/ in the client role (offerer, controlling ICE, DTLS client): against
// the C++ echo peer and against an independent stack (werift). Audio goes
// out as a 440 Hz Opus tone and must come back as one; a data-channel
// message must come back echoed. Run inside tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { repoRoot } from '../lib/browser.mjs';
import { startWeriftPeer } from './werift_peer.mjs';

const toolsDir = process.env.CONVOX_TEST_TOOLS_DIR ?? path.join(repoRoot, 'build/tests');
const run = promisify(execFile);
let echo;
let echoUrl;

before(async () => {
  echo = spawn(path.join(toolsDir, 'convox-rtc-echo'), ['--port', '0', '--ice-address', '10.77.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    echo.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on [\d.]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    echo.on('exit', (code) => reject(new Error(`convox-rtc-echo exited with ${code}`)));
  });
  echoUrl = `http://127.0.0.1:${port}/offer`;
});

after(() => echo?.kill('SIGTERM'));

async function client(url, srtp) {
  const args = ['--url', url, '--ice-address', '10.77.0.1', '--seconds', '3'];
  if (srtp) args.push('--srtp', srtp);
  const { stdout } = await run(path.join(toolsDir, 'convox-rtc-client'), args, { timeout: 30000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

function assertEchoed(r, expectedSrtp) {
  assert.equal(r.connected, true, r.error);
  if (expectedSrtp) assert.equal(r.srtp, expectedSrtp);
  assert.equal(r.echo, 'echo:hello from convox rtc client');
  assert.ok(r.packets > 100, `received ${r.packets} RTP packets back`);
  assert.ok(Math.abs(r.frequency - 440) <= 10, `heard ${r.frequency} Hz back`);
}

test('C++ client to C++ echo peer, AEAD_AES_128_GCM', async () => {
  assertEchoed(await client(echoUrl, 'gcm'), 'SRTP_AEAD_AES_128_GCM');
});

test('C++ client to C++ echo peer, AES_CM_128_HMAC_SHA1_80', async () => {
  assertEchoed(await client(echoUrl, 'aescm'), 'SRTP_AES128_CM_SHA1_80');
});

test('C++ client to werift (an independent TypeScript stack)', async () => {
  const peer = await startWeriftPeer();
  try {
    assertEchoed(await client(peer.url));
  } finally {
    await peer.close();
  }
});
