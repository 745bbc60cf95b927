// The unmodified livekit-client 2.23.0 in headless Chromium against
// convox-server: connect (dual peer connection, after the /rtc/v1 fallback),
// see each other, exchange data packets both ways (reliable and lossy,
// broadcast and addressed), and receive RoomService SendData.
// Run inside tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RoomServiceClient } from 'livekit-server-sdk';
import { launchChromium, media } from '../lib/browser.mjs';
import { startServer, API_KEY, API_SECRET } from '../lib/server.mjs';
import { joinToken } from '../lib/signal.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let server;
let pages;
let browser;
let pageUrl;

before(async () => {
  server = await startServer({ config: 'rtc:\n  interfaces: [10.77.0.1]\n' });
  const files = {
    '/room.html': [readFileSync(path.join(here, 'room.html')), 'text/html'],
    '/livekit-client.umd.js': [
      readFileSync(path.join(here, '../node_modules/livekit-client/dist/livekit-client.umd.js')),
      'text/javascript',
    ],
  };
  pages = http.createServer((req, res) => {
    const f = files[req.url.split('?')[0]];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': f[1] }).end(f[0]);
  });
  await new Promise((r) => pages.listen(0, '127.0.0.1', r));
  pageUrl = `http://127.0.0.1:${pages.address().port}/room.html`;
  browser = await launchChromium(media('silence_2s.wav'));
});

after(async () => {
  await browser?.close();
  pages?.close();
  await server?.stop();
});

async function participant(room, identity) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (process.env.CONVOX_TEST_SHOW_LOGS) console.log(`${identity}:`, m.text()); });
  await page.goto(pageUrl);
  const token = await joinToken(room, identity);
  const info = await page.evaluate(([url, t]) => window.convox.connect(url, t), [server.wsUrl, token]);
  return { page, info };
}

const waitFor = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 10000 });

test('livekit-client connects, sees the other participant, and data flows both ways', async () => {
  const alice = await participant('lk-room', 'alice');
  assert.equal(alice.info.name, 'lk-room');
  assert.match(alice.info.sid, /^PA_/);
  const bob = await participant('lk-room', 'bob');
  await waitFor(alice.page, () => window.convox.remoteIdentities().includes('bob'));
  await waitFor(bob.page, () => window.convox.remoteIdentities().includes('alice'));

  await alice.page.evaluate(() => window.convox.send('reliable hello from alice', true));
  await waitFor(bob.page, () => window.convox.received.some((m) => m.text === 'reliable hello from alice'));
  const got = await bob.page.evaluate(() => window.convox.received.find((m) => m.text === 'reliable hello from alice'));
  assert.equal(got.from, 'alice', 'the server stamps the sender');
  assert.equal(got.topic, 'test');

  await bob.page.evaluate(() => window.convox.send('lossy hello from bob', false));
  await waitFor(alice.page, () => window.convox.received.some((m) => m.text === 'lossy hello from bob'));

  // Addressed data reaches only its destination.
  const carol = await participant('lk-room', 'carol');
  await waitFor(alice.page, () => window.convox.remoteIdentities().includes('carol'));
  await alice.page.evaluate(() => window.convox.send('for carol only', true, ['carol']));
  await waitFor(carol.page, () => window.convox.received.some((m) => m.text === 'for carol only'));
  await alice.page.evaluate(() => window.convox.send('after', true, ['bob']));
  await waitFor(bob.page, () => window.convox.received.some((m) => m.text === 'after'));
  assert.equal(await bob.page.evaluate(() => window.convox.received.some((m) => m.text === 'for carol only')), false);

  // RoomService SendData now delivers.
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  await svc.sendData('lk-room', new TextEncoder().encode('from the server'), 0, { destinationIdentities: ['bob'], topic: 'test' });
  await waitFor(bob.page, () => window.convox.received.some((m) => m.text === 'from the server'));

  for (const p of [alice, bob, carol]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});
