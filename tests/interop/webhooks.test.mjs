// Webhooks out, checked by livekit-server-sdk's own WebhookReceiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebhookReceiver, RoomServiceClient } from 'livekit-server-sdk';
import { startServer, API_KEY, API_SECRET } from './lib/server.mjs';
import { SignalClient, joinToken } from './lib/signal.mjs';

let server;
let receiver;
const received = []; // {event, body, auth} of every accepted delivery
let failNext = 0; // answer this many deliveries with 500 first
let attempts = 0;
let waiters = [];

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      attempts += 1;
      if (failNext > 0) {
        failNext -= 1;
        res.writeHead(500).end('try later');
        return;
      }
      received.push({ body, auth: req.headers.authorization, type: req.headers['content-type'] });
      res.writeHead(200).end('ok');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  server = await startServer({
    config: `room:\n  departure_timeout: 1\nwebhook:\n  api_key: ${API_KEY}\n  first_retry_ms: 100\n  urls:\n    - ${url}\n`,
  });
});
after(async () => {
  await server.stop();
  receiver.close();
});

async function waitFor(pred, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = received.find(pred);
    if (hit) return hit;
    await new Promise((r) => {
      waiters.push(r);
      setTimeout(r, 100);
    });
    waiters = [];
  }
  throw new Error('webhook not received');
}

const verifier = new WebhookReceiver(API_KEY, API_SECRET);

test('room and participant events arrive signed, in order, and verify with WebhookReceiver', async () => {
  const a = await SignalClient.connect(server.wsUrl, await joinToken('hook-room', 'alice'));
  await a.nextCase('join');
  await a.close();

  const finished = await waitFor((r) => r.body.includes('room_finished'));
  const events = [];
  for (const r of received) {
    assert.equal(r.type, 'application/webhook+json');
    assert.doesNotMatch(r.auth, /^Bearer /, 'LiveKit sends the raw JWT');
    const ev = await verifier.receive(r.body, r.auth);
    if (ev.room?.name === 'hook-room') events.push(ev);
  }
  assert.deepEqual(events.map((e) => e.event), ['room_started', 'participant_joined', 'participant_left', 'room_finished']);
  assert.equal(events[1].participant.identity, 'alice');
  assert.match(events[1].participant.sid, /^PA_/);
  assert.ok(events.every((e) => e.id.startsWith('EV_') && e.createdAt > 0n));
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'event ids are unique');
  assert.ok(finished);
});

test('a tampered body fails verification', async () => {
  const r = received[0];
  await assert.rejects(verifier.receive(r.body.replace('room', 'rooms'), r.auth), /sha256/);
});

test('a failed delivery is retried with backoff until accepted', async () => {
  failNext = 2;
  const before = attempts;
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  await svc.createRoom({ name: 'retry-room', emptyTimeout: 60 });
  const delivered = await waitFor((r) => r.body.includes('retry-room') && r.body.includes('room_started'));
  assert.equal(attempts - before, 3, 'two 500s, then the accepted attempt');
  const ev = await verifier.receive(delivered.body, delivered.auth);
  assert.equal(ev.event, 'room_started');
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /convox_webhook_deliveries_total\{result="retry"\} 2/);
});
