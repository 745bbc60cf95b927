// rtc/ against a real browser: headless Chromium sends its fake microphone
// (a 440 Hz tone) and data-channel messages to convox-rtc-echo, which
// decodes and measures the tone, re-encodes it on its own track, and echoes
// the messages. Run inside tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, media, repoRoot } from '../lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const toolsDir = process.env.CONVOX_TEST_TOOLS_DIR ?? path.join(repoRoot, 'build/tests');
let echo;
let echoUrl;
let browser;

before(async () => {
  echo = spawn(path.join(toolsDir, 'convox-rtc-echo'), ['--port', '0', '--ice-address', '10.77.0.1', '--page-dir', here], {
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
  echoUrl = `http://127.0.0.1:${port}`;
  browser = await launchChromium(media('tone_440hz_3s.wav'));
});

after(async () => {
  await browser?.close();
  echo?.kill('SIGTERM');
});

for (const [srtp, cipher] of [['gcm', 'SRTP_AEAD_AES_128_GCM'], ['aescm', 'SRTP_AES128_CM_HMAC_SHA1_80']]) {
  test(`Chromium echo over ${cipher}: tone measured both ends, data echoed`, async () => {
    const page = await browser.newPage();
    page.on('console', (m) => { if (process.env.CONVOX_TEST_SHOW_LOGS) console.log('page:', m.text()); });
    await page.goto(`${echoUrl}/echo.html?srtp=${srtp}`);
    await page.waitForFunction(() => window.result !== null, null, { timeout: 45000 });
    const r = await page.evaluate(() => window.result);
    await page.close();
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.srtpCipher, cipher, 'the negotiated SRTP profile');
    assert.equal(r.echoedText, 'echo:hello convox');
    assert.equal(r.echoedBigLength, 'echo:'.length + 60000, 'a 60 kB message crossed both ways');
    assert.ok(Math.abs(r.serverHz - 440) <= 10, `server decoded ${r.serverHz} Hz`);
    assert.ok(Math.abs(r.echoedHz - 440) <= 10, `browser heard ${r.echoedHz} Hz back`);
    assert.ok(r.echoedRms > 0.01, `returned audio is not silence (rms ${r.echoedRms})`);
    assert.ok(r.packetsReceived > 50, `browser received ${r.packetsReceived} RTP packets`);
    // The server's own view of the same session.
    const stats = await (await fetch(`${echoUrl}/stats`)).json();
    const mine = stats[stats.length - 1];
    assert.equal(mine.srtp, srtp === 'gcm' ? 'SRTP_AEAD_AES_128_GCM' : 'SRTP_AES128_CM_SHA1_80');
    assert.ok(Math.abs(mine.frequency - 440) <= 10, `server measured ${mine.frequency} Hz`);
  });
}
