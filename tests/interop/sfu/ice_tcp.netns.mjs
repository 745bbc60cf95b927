// ICE over TCP (RFC 6544, passive on the server's rtc.tcp_port) with
// unmodified livekit-client 2.23.0 in headless Chromium: with UDP open the
// server's TCP candidate is offered but UDP wins; with every UDP packet in
// the namespace dropped by nftables, both participants connect over TCP
// (the browsers' selected candidate pairs say so) and audio flows. Without
// the server's TCP support the second test cannot connect at all. Run
// inside tests/interop/lib/netns.sh (nft then touches only the namespace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hears, startMediaTestbed } from '../lib/room_page.mjs';

const TCP_PORT = 7881;
const TABLE = 'convox_ice_tcp_test';
let browsers;
let bed;

before(async () => {
  bed = await startMediaTestbed(
    { tone440: 'tone_440hz_3s.wav', tone1000: 'tone_1000hz_3s.wav' },
    { config: `rtc:\n  interfaces: [10.77.0.1]\n  tcp_port: ${TCP_PORT}\n` },
  );
  ({ browsers } = bed);
});

after(async () => {
  unblockUdp();
  await bed?.close();
});

const join = (...args) => bed.join(...args);

function blockUdp() {
  const rules = `table inet ${TABLE} {
  chain input { type filter hook input priority 0; policy accept; meta l4proto udp counter drop; }
  chain output { type filter hook output priority 0; policy accept; meta l4proto udp counter drop; }
}
`;
  execFileSync('nft', ['-f', '-'], { input: rules });
}

function unblockUdp() {
  try {
    execFileSync('nft', ['delete', 'table', 'inet', TABLE], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

// UDP packets the rules dropped (so the test knows the block is real).
function droppedUdp() {
  const text = execFileSync('nft', ['list', 'table', 'inet', TABLE]).toString();
  return [...text.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

// The selected candidate pair of one of the page's peer connections
// ('publisher' or 'subscriber'), as the browser reports it, and the
// server's candidates it was told of.
async function selectedPair(page, which) {
  return page.evaluate(async (w) => {
    const pc = window.convox.room.engine.pcManager[w]?.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair;
    for (const s of stats.values()) {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    }
    const remotes = [...stats.values()]
      .filter((s) => s.type === 'remote-candidate')
      .map((c) => ({ protocol: c.protocol, port: c.port, tcpType: c.tcpType, priority: c.priority }));
    if (!pair) return { remotes };
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {
      state: pair.state,
      local: { protocol: local.protocol, tcpType: local.tcpType },
      remote: { protocol: remote.protocol, port: remote.port, tcpType: remote.tcpType },
      bytesReceived: pair.bytesReceived,
      remotes,
    };
  }, which);
}

async function waitForPair(page, which, want, timeout = 20000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeout) {
    last = await selectedPair(page, which);
    if (last?.state === 'succeeded' && last.remote.protocol === want) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${which}: no ${want} pair selected: ${JSON.stringify(last)}`);
}

test('with UDP open the server offers a passive TCP candidate below UDP, and UDP is used', async () => {
  const a = await join(browsers.tone440, 'tcp-offered', 'alice');
  const b = await join(browsers.tone1000, 'tcp-offered', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  await hears(b, 'alice', 440);
  await waitForPair(b.page, 'subscriber', 'udp');
  await waitForPair(a.page, 'publisher', 'udp');
  // candidate:<foundation> 1 <protocol> <priority> <address> <port> typ host [tcptype passive]
  const lines = await b.page.evaluate(() => window.convox.remoteCandidates());
  const parsed = lines.map((l) => l.split(' ')).map((f) => ({ protocol: f[2], priority: Number(f[3]), port: Number(f[5]), rest: f.slice(6).join(' ') }));
  const tcp = parsed.filter((c) => c.protocol === 'tcp');
  const udp = parsed.filter((c) => c.protocol === 'udp');
  assert.ok(tcp.length >= 1, JSON.stringify(lines));
  for (const c of tcp) {
    assert.equal(c.port, TCP_PORT, JSON.stringify(c));
    assert.match(c.rest, /^typ host tcptype passive\b/, JSON.stringify(c));
    assert.ok(udp.length >= 1 && udp.every((u) => c.priority < u.priority), JSON.stringify(lines));
  }
  for (const p of [a, b]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
});

test('with UDP blocked both participants connect over ICE-TCP and audio flows', async () => {
  blockUdp();
  const a = await join(browsers.tone440, 'tcp-only', 'alice');
  const b = await join(browsers.tone1000, 'tcp-only', 'bob');
  await a.page.evaluate(() => window.convox.publishMicrophone());
  const heard = await hears(b, 'alice', 440);
  assert.ok(heard.rms > 0.01, JSON.stringify(heard));
  // Both connections that carry the call are on TCP, to the server's port.
  const pairs = {
    alicePublisher: await waitForPair(a.page, 'publisher', 'tcp'),
    bobSubscriber: await waitForPair(b.page, 'subscriber', 'tcp'),
  };
  for (const [name, pair] of Object.entries(pairs)) {
    assert.equal(pair.local.protocol, 'tcp', name);
    assert.equal(pair.remote.port, TCP_PORT, name);
    assert.equal(pair.remote.tcpType, 'passive', name);
  }
  // And media keeps coming over it: the packet count grows.
  const before = await b.page.evaluate(() => window.convox.inboundStats('alice', 'audio'));
  await new Promise((r) => setTimeout(r, 3000));
  const later = await b.page.evaluate(() => window.convox.inboundStats('alice', 'audio'));
  assert.ok(later.packets - before.packets >= 100, `${later.packets - before.packets} packets in 3 s over TCP`);
  assert.ok(droppedUdp() > 0, 'the UDP block dropped nothing: the test did not test TCP');

  // Bob publishes too, over his TCP publisher connection.
  await b.page.evaluate(() => window.convox.publishMicrophone());
  await hears(a, 'bob', 1000);
  await waitForPair(b.page, 'publisher', 'tcp');
  await waitForPair(a.page, 'subscriber', 'tcp');
  for (const p of [a, b]) {
    await p.page.evaluate(() => window.convox.disconnect());
    await p.page.close();
  }
  unblockUdp();
});
