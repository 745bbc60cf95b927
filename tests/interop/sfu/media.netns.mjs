// Media through convox-server between unmodified livekit-client 2.23.0
// participants in headless Chromium: audio both ways (checked by frequency),
// audio that keeps flowing, mute and unmute, camera video, a three-way call,
// and a participant that vanishes mid-call. Run inside tests/interop/lib/netns.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKillableChromium, media } from '../lib/browser.mjs';
import { RoomServiceClient } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from '../lib/server.mjs';
import { hears, nearHz as near, startMediaTestbed, waitFor } from '../lib/room_page.mjs';

let server;
let browsers;
let bed;

before(async () => {
  bed = await startMediaTestbed({ tone440: 'tone_440hz_3s.wav', tone1000: 'tone_1000hz_3s.wav', speech: 'hello.wav' });
  ({ server, browsers } = bed);
});

after(() => bed?.close());

const join = (...args) => bed.join(...args);

// Polls an evaluation in the page until `done(value)`; returns the value.
async function pollPage(page, fn, arg, done, timeout = 20000) {
  const t0 = Date.now();
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (done(value)) return value;
    if (Date.now() - t0 > timeout) assert.fail(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}


test('two participants hear each other, audio keeps flowing, mute stops it and unmute resumes it', async () => {
  const a = await join(browsers.tone440, 'media-room', 'alice');
  const b = await join(browsers.tone1000, 'media-room', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  const heardByBob = await hears(b, 'alice', 440);
  assert.ok(near(heardByBob.hz, 440), `bob hears ${heardByBob.hz} Hz`);
  // The tone is loud: the server's audio-level detection makes alice the active speaker.
  await waitFor(b.page, () => window.convox.events.includes('speakers alice'));

  await b.page.evaluate(() => window.convox.publishMicrophone());
  const heardByAlice = await hears(a, 'bob', 1000);
  assert.ok(near(heardByAlice.hz, 1000), `alice hears ${heardByAlice.hz} Hz`);

  // 10 s of audio: every 100 ms sample audible, the packet count growing.
  const before = await b.page.evaluate(() => window.convox.inboundStats('alice', 'audio'));
  const levels = await b.page.evaluate(() => window.convox.levels('alice', 10000));
  const afterStats = await b.page.evaluate(() => window.convox.inboundStats('alice', 'audio'));
  const quiet = levels.filter((l) => l < 0.005).length;
  assert.ok(levels.length >= 80, `sampled ${levels.length} times`);
  assert.ok(quiet <= 1, `${quiet} silent 100 ms samples in 10 s: ${levels.map((l) => l.toFixed(3)).join(' ')}`);
  assert.ok(afterStats.packets - before.packets >= 450, `${afterStats.packets - before.packets} packets in 10 s`);
  // The server sends a Sender Report per down-track every second.
  assert.ok(afterStats.senderReports - before.senderReports >= 5, `sender reports: ${before.senderReports} -> ${afterStats.senderReports}`);

  // Mute: bob is told and the sound stops; unmute: it comes back.
  await a.page.evaluate(() => window.convox.setMicrophoneMuted(true));
  await waitFor(b.page, () => window.convox.remoteMuted('alice', 'audio') === true);
  await new Promise((r) => setTimeout(r, 1000));
  const muted = await b.page.evaluate(() => window.convox.hear('alice', 1000));
  assert.ok(muted.rms < 0.005, `muted audio still audible: rms ${muted.rms}`);
  await a.page.evaluate(() => window.convox.setMicrophoneMuted(false));
  await waitFor(b.page, () => window.convox.remoteMuted('alice', 'audio') === false);
  const resumed = await hears(b, 'alice', 440);
  assert.ok(resumed.rms > 0.01);

  // A data message each way on the same connections.
  await a.page.evaluate(() => window.convox.send('to bob', true));
  await waitFor(b.page, () => window.convox.received.some((m) => m.text === 'to bob' && m.from === 'alice'));
  await b.page.evaluate(() => window.convox.send('to alice', true));
  await waitFor(a.page, () => window.convox.received.some((m) => m.text === 'to alice' && m.from === 'bob'));

  for (const p of [a, b]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('RoomService MutePublishedTrack mutes the publisher\'s microphone at its SDK; unmuting it needs room.enable_remote_unmute', async () => {
  const a = await join(browsers.tone440, 'remote-mute', 'alice');
  const b = await join(browsers.tone1000, 'remote-mute', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  const mic = () => window.convox.room.localParticipant.getTrackPublication(LivekitClient.Track.Source.Microphone);
  const sid = await a.page.evaluate((f) => eval(f)().trackSid, `(${mic})`);
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const res = await svc.mutePublishedTrack('remote-mute', 'alice', sid, true);
  assert.equal(res.sid, sid);
  assert.equal(res.muted, true);
  // alice's SDK muted its own track; bob sees the mute and the sound stops.
  await waitFor(a.page, (f) => eval(f)().isMuted === true, `(${mic})`);
  await waitFor(b.page, () => window.convox.remoteMuted('alice', 'audio') === true);
  const level = await b.page.evaluate(() => window.convox.hear('alice'));
  assert.ok(!level || level.rms < 0.005, `still audible after the remote mute: ${JSON.stringify(level)}`);
  await assert.rejects(svc.mutePublishedTrack('remote-mute', 'alice', sid, false), (e) => e.status === 412 && /remote unmute/.test(e.message));
  await assert.rejects(svc.mutePublishedTrack('remote-mute', 'alice', 'TR_nope', true), (e) => e.status === 404);
  for (const p of [a, b]) await p.page.close();
});

test('camera video reaches the subscriber and is decoded at the sent resolution', async () => {
  const a = await join(browsers.tone440, 'video-room', 'alice');
  const b = await join(browsers.tone1000, 'video-room', 'bob');
  await a.page.evaluate(() => window.convox.publishCamera({ simulcast: false }));
  await waitFor(b.page, () => window.convox.remoteTrack('alice', 'video') !== null);
  const stats = await pollPage(b.page, () => window.convox.inboundStats('alice', 'video'), undefined,
    (s) => s && s.framesDecoded > 30);
  assert.deepEqual([stats.width, stats.height], [640, 360], JSON.stringify(stats));
  for (const p of [a, b]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('simulcast camera: the subscriber gets one layer, decoded', async () => {
  const a = await join(browsers.tone440, 'simulcast-room', 'alice');
  const b = await join(browsers.tone1000, 'simulcast-room', 'bob');
  await a.page.evaluate(() => window.convox.publishCamera({ simulcast: true }));
  const stats = await pollPage(b.page, () => window.convox.inboundStats('alice', 'video'), undefined,
    (s) => s && s.framesDecoded > 30);
  assert.ok([160, 320, 640].includes(stats.width), `decoded ${stats.width}x${stats.height}`);
  for (const p of [a, b]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('three participants each hear the other two', async () => {
  const a = await join(browsers.tone440, 'three-room', 'alice');
  const b = await join(browsers.tone1000, 'three-room', 'bob');
  const c = await join(browsers.speech, 'three-room', 'carol');
  for (const p of [a, b, c]) await p.page.evaluate(() => window.convox.publishMicrophone());
  await hears(a, 'bob', 1000);
  await hears(a, 'carol');
  await hears(b, 'alice', 440);
  await hears(b, 'carol');
  await hears(c, 'alice', 440);
  await hears(c, 'bob', 1000);
  for (const p of [a, b, c]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('Opus RED: the publisher sends RED; a subscriber that takes red gets it, one that does not gets plain Opus', async () => {
  const a = await join(browsers.tone440, 'red-room', 'alice');
  const b = await join(browsers.tone1000, 'red-room', 'bob');
  const c = await join(browsers.speech, 'red-room', 'carol');
  await c.page.evaluate(() => { window.convox.refuseRed = true; });
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  await hears(c, 'alice', 440);
  // Chrome reports the Opus inside RED as the inbound codec, so the check is
  // the size: bob's packets carry the redundant frames, carol's only the primary.
  const perPacket = async (p) => {
    const s = await p.page.evaluate(() => window.convox.inboundStats('alice', 'audio'));
    return { ...s, bytesPerPacket: (s.bytes + s.headerBytes) / s.packets };
  };
  const bob = await perPacket(b);
  const carol = await perPacket(c);
  console.log('# RED to bob:', JSON.stringify(bob), 'primary only to carol:', JSON.stringify(carol));
  assert.ok(bob.bytesPerPacket > 1.4 * carol.bytesPerPacket, JSON.stringify({ bob, carol }));
  assert.equal(await c.page.evaluate(() => window.convox.inboundCodec('alice', 'audio')), 'audio/opus');
  // Both keep hearing it (carol's frames are the primary blocks we cut out).
  await hears(b, 'alice', 440);
  await hears(c, 'alice', 440);
  for (const p of [a, b, c]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('subscription permissions: a publisher allowing only bob cuts carol off, and letting everyone in restores her', async () => {
  const a = await join(browsers.tone440, 'permission-room', 'alice');
  const b = await join(browsers.tone1000, 'permission-room', 'bob');
  const c = await join(browsers.speech, 'permission-room', 'carol');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  await hears(c, 'alice', 440);
  // Alice's SDK heard that her microphone has a subscriber (TrackSubscribed).
  await waitFor(a.page, () => window.convox.events.includes('local subscribed audio'));

  await a.page.evaluate(() => window.convox.setSubscribers(false, ['bob']));
  await waitFor(c.page, () => window.convox.events.includes('permission alice audio not_allowed'));
  await waitFor(c.page, () => window.convox.remoteTrack('alice', 'audio') === null);
  await hears(b, 'alice', 440);
  assert.ok(!(await b.page.evaluate(() => window.convox.events)).some((e) => e.startsWith('permission')));

  await a.page.evaluate(() => window.convox.setSubscribers(true));
  await waitFor(c.page, () => window.convox.events.includes('permission alice audio allowed'));
  await hears(c, 'alice', 440);
  for (const p of [a, b, c]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('a participant whose browser is killed mid-call leaves; the other keeps its call and the server is clean', async () => {
  const doomed = await launchKillableChromium(media('tone_440hz_3s.wav'));
  const a = await join(doomed.browser, 'crash-room', 'alice');
  const b = await join(browsers.tone1000, 'crash-room', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await b.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  // SIGKILL: no leave, no WebSocket close frame, no DTLS close_notify.
  doomed.kill();
  await waitFor(b.page, () => window.convox.events.includes('left alice'), undefined, 20000);
  assert.equal(await b.page.evaluate(() => window.convox.room.state), 'connected');
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const left = await svc.listParticipants('crash-room');
  assert.deepEqual(left.map((p) => p.identity), ['bob'], 'only bob remains');
  assert.equal(left[0].tracks.length, 1, 'with his own track');
  // Bob's call goes on: he still hears nothing from alice but keeps his connection and can publish data.
  await b.page.evaluate(() => window.convox.send('still here', true));
  await b.page.evaluate(() => window.convox.disconnect());
  await b.page.close();
});
