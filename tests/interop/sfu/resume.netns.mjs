// Signal resume with unmodified livekit-client 2.23.0 in headless Chromium:
// the SDK's own fault injection drops alice's signal socket mid-call; the SDK
// resumes (reconnect=1&sid=..., ICE restart on its publisher connection), and
// the call goes on without anyone leaving or rejoining. Run inside
// tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomServiceClient } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from '../lib/server.mjs';
import { hears, startMediaTestbed, waitFor } from '../lib/room_page.mjs';

let server;
let browsers;
let bed;

before(async () => {
  bed = await startMediaTestbed({ tone440: 'tone_440hz_3s.wav', tone1000: 'tone_1000hz_3s.wav' });
  ({ server, browsers } = bed);
});

after(() => bed?.close());

const join = (...args) => bed.join(...args);


async function resumes() {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const count = (socket) =>
    Number(text.match(new RegExp(`convox_signal_resumes_total\\{old_socket="${socket}"\\} (\\d+)`))?.[1]);
  return { closed: count('closed'), open: count('open') };
}

// The SDK's own fault injection closes the socket, so the server sees the
// drop first. On a real network the client usually notices first (its ping
// times out) and reconnects while the server still holds the old socket.
async function expectResumed(a, b, sid, subscriberUfrag) {
  await waitFor(a.page, () => window.convox.events.includes('reconnected'), undefined, 30000);
  if (subscriberUfrag) {
    // The server restarted the subscriber connection's ICE, as the SDK expects.
    await waitFor(a.page, (before) => {
      const now = window.convox.subscriberRemoteUfrag();
      return now !== null && now !== before;
    }, subscriberUfrag, 10000);
  }
  const aliceEvents = await a.page.evaluate(() => window.convox.events);
  assert.ok(aliceEvents.includes('signal-reconnecting'), JSON.stringify(aliceEvents));
  // A resume, not a full reconnect: no 'reconnecting' (that is the rejoin path), the same sid.
  assert.ok(!aliceEvents.includes('reconnecting'), JSON.stringify(aliceEvents));
  assert.equal(await a.page.evaluate(() => window.convox.localSid()), sid);
  // Bob never saw alice leave or come back, and still hears her.
  await hears(b, 'alice', 440);
  const bobEvents = await b.page.evaluate(() => window.convox.events);
  assert.ok(!bobEvents.includes('left alice'), JSON.stringify(bobEvents));
  assert.equal(bobEvents.filter((e) => e === 'joined alice').length, 0, JSON.stringify(bobEvents));
}

test('a dropped signal connection resumes: same participant, media keeps flowing, signalling works after', async () => {
  const a = await join(browsers.tone440, 'resume-room', 'alice');
  const b = await join(browsers.tone1000, 'resume-room', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  const sid = await a.page.evaluate(() => window.convox.localSid());

  const before = await resumes();
  await a.page.evaluate(() => window.convox.simulate('signal-reconnect'));
  await expectResumed(a, b, sid);
  assert.equal((await resumes()).closed - before.closed, 1);

  // Signalling works on the new socket: a new track (bob's, to alice) and
  // alice's mute reach the other side; data still flows.
  await b.page.evaluate(() => window.convox.publishMicrophone());
  await hears(a, 'bob', 1000);
  await a.page.evaluate(() => window.convox.setMicrophoneMuted(true));
  await waitFor(b.page, () => window.convox.remoteMuted('alice', 'audio') === true);
  await a.page.evaluate(() => window.convox.send('after resume', true));
  await waitFor(b.page, () => window.convox.received.some((m) => m.text === 'after resume' && m.from === 'alice'));

  // The server agrees: alice once, with the same sid.
  const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const listed = await rooms.listParticipants('resume-room');
  assert.deepEqual(listed.map((p) => p.identity).sort(), ['alice', 'bob']);
  assert.equal(listed.find((p) => p.identity === 'alice').sid, sid);
});

test('a reconnect takes over a signal socket the server still thinks is open', async () => {
  const a = await join(browsers.tone440, 'takeover-room', 'alice');
  const b = await join(browsers.tone1000, 'takeover-room', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await b.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  await hears(a, 'bob', 1000);
  const sid = await a.page.evaluate(() => window.convox.localSid());
  const ufrag = await a.page.evaluate(() => window.convox.subscriberRemoteUfrag());
  assert.ok(ufrag);

  const before = await resumes();
  await a.page.evaluate(() => window.convox.silenceSignal());
  await expectResumed(a, b, sid, ufrag);
  const after = await resumes();
  assert.equal(after.open - before.open, 1, JSON.stringify({ before, after }));
  assert.equal(after.closed, before.closed, JSON.stringify({ before, after }));

  // Alice still hears bob over her restarted subscriber connection, and the
  // new socket carries signalling both ways.
  await hears(a, 'bob', 1000);
  await a.page.evaluate(() => window.convox.setMicrophoneMuted(true));
  await waitFor(b.page, () => window.convox.remoteMuted('alice', 'audio') === true);
  await b.page.evaluate(() => window.convox.send('after takeover', true));
  await waitFor(a.page, () => window.convox.received.some((m) => m.text === 'after takeover' && m.from === 'bob'));

  // The replaced socket's close (it goes when the server closes it) ends nothing.
  await new Promise((r) => setTimeout(r, 3000));
  const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const listed = await rooms.listParticipants('takeover-room');
  assert.deepEqual(listed.map((p) => p.identity).sort(), ['alice', 'bob']);
  assert.equal(listed.find((p) => p.identity === 'alice').sid, sid);
  assert.ok(!(await b.page.evaluate(() => window.convox.events)).includes('left alice'));
});
