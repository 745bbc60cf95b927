// Signal-level interop: @livekit/protocol messages over /rtc against convox-server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RoomServiceClient } from 'livekit-server-sdk';
import {
  ParticipantInfo_State,
  DisconnectReason,
  LeaveRequest_Action,
  Ping,
  LeaveRequest,
  UpdateParticipantMetadata,
  RequestResponse_Reason,
  ClientConfigSetting,
} from '@livekit/protocol';
import { startServer, API_KEY, API_SECRET } from './lib/server.mjs';
import { SignalClient, joinToken, upgradeStatus } from './lib/signal.mjs';

let server;
before(async () => {
  server = await startServer({
    config: 'room:\n  departure_timeout: 1\nsignal:\n  max_message_bytes: 65536\n',
  });
});
after(async () => {
  await server.stop();
});

const participantUpdate = (client, pred, what) =>
  client.next((m) => m.message.case === 'update' && m.message.value.participants.some(pred), 5000, what)
    .then((m) => m.message.value.participants.find(pred));

test('join: first frame is a JoinResponse with the fields SDKs require', async () => {
  const c = await SignalClient.connect(server.wsUrl, await joinToken('join-room', 'alice', {}, { metadata: 'm1' }));
  const first = await c.next(() => true);
  assert.equal(first.message.case, 'join', 'nothing may come before the JoinResponse');
  const join = first.message.value;
  assert.equal(join.room.name, 'join-room');
  assert.match(join.room.sid, /^RM_/);
  assert.match(join.participant.sid, /^PA_/);
  assert.equal(join.participant.identity, 'alice');
  assert.equal(join.participant.metadata, 'm1');
  assert.equal(join.participant.permission.canPublish, true);
  assert.equal(join.participant.permission.canSubscribe, true);
  assert.ok(join.serverVersion.length > 0);
  assert.equal(join.serverInfo.version, join.serverVersion);
  assert.equal(join.serverInfo.protocol, 17);
  assert.ok(join.pingInterval > 0 && join.pingTimeout > join.pingInterval);
  // Resuming is on: a dropped socket may come back with reconnect=1 (sfu/resume.netns.mjs).
  assert.equal(join.clientConfiguration.resumeConnection, ClientConfigSetting.ENABLED);
  assert.deepEqual(join.iceServers, []);
  await c.close();
});

test('two participants see each other join, and one leaving is announced', async () => {
  const a = await SignalClient.connect(server.wsUrl, await joinToken('pair-room', 'alice'));
  const joinA = await a.nextCase('join');
  assert.equal(joinA.otherParticipants.length, 0);

  // rtc-node sends its token in a header rather than the query.
  const b = await SignalClient.connect(server.wsUrl, await joinToken('pair-room', 'bob'), { header: true });
  const joinB = await b.nextCase('join');
  assert.deepEqual(joinB.otherParticipants.map((p) => p.identity), ['alice']);
  assert.equal(joinB.room.sid, joinA.room.sid);

  const bobSeen = await participantUpdate(a, (p) => p.identity === 'bob', 'bob joining');
  assert.equal(bobSeen.state, ParticipantInfo_State.JOINED);
  assert.equal(bobSeen.sid, joinB.participant.sid);

  b.send({ case: 'leave', value: new LeaveRequest({ reason: DisconnectReason.CLIENT_INITIATED }) });
  const bobGone = await participantUpdate(a, (p) => p.identity === 'bob' && p.state === ParticipantInfo_State.DISCONNECTED, 'bob leaving');
  assert.equal(bobGone.disconnectReason, DisconnectReason.CLIENT_INITIATED);
  assert.ok(bobGone.version > bobSeen.version, 'versions must grow or clients ignore the update');
  const closed = await b.closed;
  assert.equal(closed.code, 1000);
  await a.close();
});

test('ping is answered with pong (ms) and ping_req with pong_resp', async () => {
  const c = await SignalClient.connect(server.wsUrl, await joinToken('ping-room', 'pinger'));
  await c.nextCase('join');
  const before = Date.now();
  c.send({ case: 'ping', value: BigInt(before) });
  const pong = await c.nextCase('pong');
  assert.ok(Number(pong) >= before - 1000 && Number(pong) <= Date.now() + 1000, 'pong carries server time in ms');
  c.send({ case: 'pingReq', value: new Ping({ timestamp: 123456n, rtt: 5n }) });
  const resp = await c.nextCase('pongResp');
  assert.equal(resp.lastPingTimestamp, 123456n);
  await c.close();
});

test('closing the socket without a leave removes the participant', async () => {
  const a = await SignalClient.connect(server.wsUrl, await joinToken('drop-room', 'stayer'));
  await a.nextCase('join');
  const b = await SignalClient.connect(server.wsUrl, await joinToken('drop-room', 'dropper'));
  await b.nextCase('join');
  b.ws.terminate();
  const gone = await participantUpdate(a, (p) => p.identity === 'dropper' && p.state === ParticipantInfo_State.DISCONNECTED, 'dropper gone');
  assert.equal(gone.identity, 'dropper');
  await a.close();
});

test('metadata updates need canUpdateOwnMetadata and are echoed to everyone', async () => {
  const denied = await SignalClient.connect(server.wsUrl, await joinToken('meta-room', 'plain'));
  await denied.nextCase('join');
  denied.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ metadata: 'x', requestId: 7 }) });
  const refusal = await denied.nextCase('requestResponse');
  assert.equal(refusal.requestId, 7);
  assert.equal(refusal.reason, RequestResponse_Reason.NOT_ALLOWED);

  const allowed = await SignalClient.connect(server.wsUrl, await joinToken('meta-room', 'editor', { canUpdateOwnMetadata: true }));
  await allowed.nextCase('join');
  allowed.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ metadata: 'new', name: 'Ed', attributes: { k: 'v' }, requestId: 8 }) });
  const echoed = await participantUpdate(allowed, (p) => p.identity === 'editor' && p.metadata === 'new', 'own echo');
  assert.equal(echoed.name, 'Ed');
  assert.deepEqual(echoed.attributes, { k: 'v' });
  const seenByOther = await participantUpdate(denied, (p) => p.identity === 'editor' && p.metadata === 'new', 'echo to other');
  assert.equal(seenByOther.name, 'Ed');
  await denied.close();
  await allowed.close();
});

test('metadata, name and attribute updates over LiveKit\'s limits are refused with a reason, on the signal path and UpdateParticipant', async () => {
  const watcher = await SignalClient.connect(server.wsUrl, await joinToken('limit-room', 'watcher'));
  await watcher.nextCase('join');
  const editor = await SignalClient.connect(server.wsUrl, await joinToken('limit-room', 'big', { canUpdateOwnMetadata: true }));
  await editor.nextCase('join');

  const refused = async (update, requestId, message) => {
    editor.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ ...update, requestId }) });
    const r = await editor.nextCase('requestResponse');
    assert.equal(r.requestId, requestId);
    assert.equal(r.reason, RequestResponse_Reason.LIMIT_EXCEEDED);
    assert.match(r.message, message);
  };
  await refused({ metadata: 'm'.repeat(64001) }, 21, /^exceeds metadata size limit/);
  await refused({ name: 'n'.repeat(257) }, 22, /^exceeds name length limit/);
  await refused({ attributes: { a: 'v'.repeat(64000) } }, 23, /^exceeds attributes size limit \(64001 bytes, at most 64000\)/);

  // At the limit it goes through, and the room sees only that.
  editor.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ metadata: 'm'.repeat(64000), requestId: 24 }) });
  const seen = await participantUpdate(watcher, (p) => p.identity === 'big' && p.metadata.length > 0, 'accepted update');
  assert.equal(seen.metadata.length, 64000);

  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  await assert.rejects(
    svc.updateParticipant('limit-room', 'big', { metadata: 'x'.repeat(64001) }),
    (e) => e.status === 400 && e.code === 'invalid_argument' && /exceeds metadata size limit/.test(e.message),
  );
  const info = await svc.getParticipant('limit-room', 'big');
  assert.equal(info.metadata.length, 64000);
  await watcher.close();
  await editor.close();
});

test('the same identity joining again replaces the old session', async () => {
  const first = await SignalClient.connect(server.wsUrl, await joinToken('dup-room', 'twin'));
  await first.nextCase('join');
  const second = await SignalClient.connect(server.wsUrl, await joinToken('dup-room', 'twin'));
  await second.nextCase('join');
  const leave = await first.nextCase('leave');
  assert.equal(leave.reason, DisconnectReason.DUPLICATE_IDENTITY);
  await first.closed;
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const ps = await svc.listParticipants('dup-room');
  assert.deepEqual(ps.map((p) => p.identity), ['twin']);
  await second.close();
});

test('a resume attempt is answered with a leave asking for a full reconnect', async () => {
  const c = await SignalClient.connect(server.wsUrl, await joinToken('resume-room', 'r'), { query: '&reconnect=1&sid=PA_old' });
  const first = await c.next(() => true);
  assert.equal(first.message.case, 'leave');
  assert.equal(first.message.value.action, LeaveRequest_Action.RECONNECT);
  await c.closed;
});

test('garbage frames close only that connection, with a reason', async () => {
  const victim = await SignalClient.connect(server.wsUrl, await joinToken('bad-room', 'victim'));
  await victim.nextCase('join');
  const bystander = await SignalClient.connect(server.wsUrl, await joinToken('bad-room', 'bystander'));
  await bystander.nextCase('join');

  victim.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  const closed = await victim.closed;
  assert.equal(closed.code, 1007);
  assert.match(closed.reason, /SignalRequest/);

  // The other participant keeps working and hears about the departure.
  await participantUpdate(bystander, (p) => p.identity === 'victim' && p.state === ParticipantInfo_State.DISCONNECTED, 'victim gone');
  bystander.send({ case: 'pingReq', value: new Ping({ timestamp: 1n }) });
  assert.equal((await bystander.nextCase('pongResp')).lastPingTimestamp, 1n);
  await bystander.close();
});

test('oversized frames close the connection with 1009', async () => {
  const c = await SignalClient.connect(server.wsUrl, await joinToken('big-room', 'big'));
  await c.nextCase('join');
  c.sendRaw(Buffer.alloc(100 * 1024, 1));
  const closed = await c.closed;
  assert.equal(closed.code, 1009);
});

test('tokens are rejected with distinct reasons', async () => {
  const now = Math.floor(Date.now() / 1000);
  // Sign claims directly to make tokens the SDK would refuse to make.
  const { SignJWT } = await import('jose');
  const sign = (claims, secret = API_SECRET) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
  const base = { sub: 'x', video: { roomJoin: true, room: 'r' } };
  const cases = [
    ['expired', await sign({ ...base, iss: API_KEY, nbf: now - 7200, exp: now - 3600 }), /expired/],
    ['not yet valid', await sign({ ...base, iss: API_KEY, nbf: now + 3600, exp: now + 7200 }), /not valid yet/],
    ['unknown key', await sign({ ...base, iss: 'nokey', exp: now + 600 }), /unknown API key/],
    ['bad signature', await sign({ ...base, iss: API_KEY, exp: now + 600 }, 'wrong'), /signature/],
    ['no roomJoin', await sign({ sub: 'x', video: { room: 'r' }, iss: API_KEY, exp: now + 600 }), /roomJoin/],
    ['garbage', 'not.a.jwt', /malformed/],
  ];
  const seen = new Set();
  for (const [name, token, pattern] of cases) {
    const res = await fetch(`${server.httpUrl}/rtc/validate?access_token=${encodeURIComponent(token)}`);
    const body = await res.text();
    assert.equal(res.status, 401, name);
    assert.match(body, pattern, name);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    seen.add(body);
    await assert.rejects(SignalClient.connect(server.wsUrl, token), (e) => e.status === 401 && pattern.test(e.body), name);
  }
  assert.equal(seen.size, cases.length, 'each failure has its own message');
});

test('NumericDate claims as PyJWT writes them (fractional exp) join; non-numbers are refused with 401, and the server stays up', async () => {
  const { SignJWT } = await import('jose');
  const sign = (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(API_SECRET));
  const now = Date.now() / 1000;
  // The reproduction: a correctly signed token whose exp has a fractional part.
  const fractional = await sign({ iss: API_KEY, sub: 'py', exp: now + 600.5, nbf: now - 0.25, video: { room: 'numeric-room', roomJoin: true } });
  const c = await SignalClient.connect(server.wsUrl, fractional);
  assert.equal((await c.nextCase('join')).participant.identity, 'py');
  await c.close();
  const ok = await fetch(`${server.httpUrl}/rtc/validate?access_token=${fractional}`);
  assert.equal(ok.status, 200);

  const admin = await sign({ iss: API_KEY, exp: now + 600.5, video: { roomList: true } });
  const listed = await fetch(`${server.httpUrl}/twirp/livekit.RoomService/ListRooms`, {
    method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(listed.status, 200, 'Twirp reads a fractional exp too');

  const stringExp = await sign({ iss: API_KEY, sub: 'py', exp: String(Math.floor(now) + 600), video: { room: 'numeric-room', roomJoin: true } });
  const hugeExp = await sign({ iss: API_KEY, sub: 'py', exp: 1e300, video: { room: 'numeric-room', roomJoin: true } });
  for (const [token, pattern] of [[stringExp, /the exp claim must be a number/], [hugeExp, /the exp claim is out of range/]]) {
    const res = await fetch(`${server.httpUrl}/rtc/validate?access_token=${token}`);
    assert.equal(res.status, 401);
    assert.match(await res.text(), pattern);
    await assert.rejects(SignalClient.connect(server.wsUrl, token), (e) => e.status === 401 && pattern.test(e.body));
    const twirp = await fetch(`${server.httpUrl}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(twirp.status, 401);
  }
  const alive = await fetch(`${server.httpUrl}/healthz`);
  assert.equal(alive.status, 200, 'the server is still up');
  assert.equal((await fetch(`${server.httpUrl}/healthz`, { method: 'POST' })).status, 405);
});

test('/rtc/validate says success for a good token; /rtc/v1 is refused with 404 and CORS', async () => {
  const token = await joinToken('validate-room', 'v');
  const ok = await fetch(`${server.httpUrl}/rtc/validate?access_token=${token}`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'success');
  const v1 = await fetch(`${server.httpUrl}/rtc/v1/validate?access_token=${token}`);
  assert.equal(v1.status, 404);
  assert.equal(v1.headers.get('access-control-allow-origin'), '*');
  assert.doesNotMatch(await v1.text(), /requested room does not exist/, 'must not look like a missing room');
  const v1Upgrade = await upgradeStatus(`${server.wsUrl}/rtc/v1?access_token=${token}`);
  assert.equal(v1Upgrade, 404, 'the v1 upgrade must be refused with exactly 404 for the SDKs to fall back');
  const head = await fetch(`${server.httpUrl}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('max_participants refuses the next join with 503', async () => {
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  await svc.createRoom({ name: 'small-room', maxParticipants: 1 });
  const a = await SignalClient.connect(server.wsUrl, await joinToken('small-room', 'first'));
  await a.nextCase('join');
  const token = await joinToken('small-room', 'second');
  const res = await fetch(`${server.httpUrl}/rtc/validate?access_token=${token}`);
  assert.equal(res.status, 503);
  assert.match(await res.text(), /full/);
  await assert.rejects(SignalClient.connect(server.wsUrl, token), (e) => e.status === 503);
  await a.close();
});

test('a room closes after its departure timeout once empty', async () => {
  const svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
  const c = await SignalClient.connect(server.wsUrl, await joinToken('closing-room', 'last'));
  await c.nextCase('join');
  assert.equal((await svc.listRooms(['closing-room'])).length, 1);
  await c.close();
  await new Promise((r) => setTimeout(r, 2000)); // departure_timeout is 1 s in this server's config
  assert.equal((await svc.listRooms(['closing-room'])).length, 0);
});

test('metrics count rooms, participants and signal connections', async () => {
  const c = await SignalClient.connect(server.wsUrl, await joinToken('metrics-room', 'm'));
  await c.nextCase('join');
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
  assert.ok(value('convox_rooms') >= 1);
  assert.ok(value('convox_participants') >= 1);
  assert.ok(value('convox_signal_connections') >= 1);
  assert.match(text, /convox_http_requests_total\{route="\/rtc",status="101"\}/);
  await c.close();
});
