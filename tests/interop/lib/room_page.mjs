// Serves sfu/room.html with the livekit-client UMD bundle, and joins rooms
// from it: each participant is a page driven through window.convox.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
