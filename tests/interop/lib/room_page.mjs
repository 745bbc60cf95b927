// Serves sfu/room.html with the livekit-client UMD bundle, and joins rooms
// from it: each participant is a page driven through window.convox.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { launchChromium, media } from './browser.mjs';
import { startServer } from './server.mjs';
import { joinToken } from './signal.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startRoomPages() {
  const files = {
    '/room.html': [readFileSync(path.join(here, '../sfu/room.html')), 'text/html'],
    '/livekit-client.umd.js': [
      readFileSync(path.join(here, '../node_modules/livekit-client/dist/livekit-client.umd.js')),
      'text/javascript',
    ],
  };
  const server = http.createServer((req, res) => {
    const f = files[req.url.split('?')[0]];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f[1] }).end(f[0]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/room.html`, close: () => server.close() };
}

// Opens a page in `browser` and connects it to `room` as `identity`.
export async function joinRoom(browser, pageUrl, wsUrl, room, identity, roomOptions = {}) {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (process.env.CONVOX_TEST_SHOW_LOGS) console.log(`${identity}:`, m.text());
  });
  await page.goto(pageUrl);
  const token = await joinToken(room, identity);
  const info = await page.evaluate(([url, t, o]) => window.convox.connect(url, t, o), [wsUrl, token, roomOptions]);
  return { page, info, identity };
}

export const waitFor = (page, fn, arg, timeout = 15000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });

/**
 * What a network-namespace media test file shares: convox-server on the
 * namespace address (`config` replaces that YAML), the page host, and one
 * Chromium per entry of `microphones` (name -> a file of tests/media/make_media.sh), each
 * with that file as its fake microphone. Start it in before(), close() it in after().
 */
export async function startMediaTestbed(microphones, { config = 'rtc:\n  interfaces: [10.77.0.1]\n' } = {}) {
  const server = await startServer({ config });
  const pages = await startRoomPages();
  const browsers = {};
  for (const [name, file] of Object.entries(microphones)) browsers[name] = await launchChromium(media(file));
  return {
    server,
    pages,
    browsers,
    join: (browser, room, identity, options) => joinRoom(browser, pages.url, server.wsUrl, room, identity, options),
    async close() {
      for (const b of Object.values(browsers)) await b?.close();
      pages.close();
      await server.stop();
    },
  };
}

export const nearHz = (hz, want) => Math.abs(hz - want) < 25;

// Waits for `from`'s audio at `p` and returns what is heard: loud, and at
// `wantHz` (±25 Hz) when given.
export async function hears(p, from, wantHz) {
  await waitFor(p.page, (who) => window.convox.remoteTrack(who, 'audio') !== null, from);
  let last;
  for (let i = 0; i < 10; i++) {
    last = await p.page.evaluate((who) => window.convox.hear(who), from);
    if (last && last.rms > 0.01 && (!wantHz || nearHz(last.hz, wantHz))) return last;
  }
  assert.fail(`${p.identity} does not hear ${from}${wantHz ? ` at ${wantHz} Hz` : ''}: ${JSON.stringify(last)}`);
}
