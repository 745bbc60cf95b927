// livekit-server-sdk's RoomServiceClient, unmodified, against convox-server's Twirp RoomService.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { ListRoomsRequest, ListRoomsResponse, DisconnectReason, ParticipantInfo_State } from '@livekit/protocol';
import { startServer, API_KEY, API_SECRET } from './lib/server.mjs';
import { SignalClient, joinToken } from './lib/signal.mjs';

let server;
let svc;
before(async () => {
  server = await startServer();
  svc = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
});
after(async () => {
  await server.stop();
});

async function twirp(method, body, { token, contentType = 'application/json' } = {}) {
  const headers = { 'Content-Type': contentType };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${server.httpUrl}/twirp/livekit.RoomService/${method}`, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

async function adminToken(grant) {
  const at = new AccessToken(API_KEY, API_SECRET, { ttl: '10m' });
  at.addGrant(grant);
  return at.toJwt();
}

test('create, list and delete rooms', async () => {
  const room = await svc.createRoom({ name: 'svc-a', emptyTimeout: 120, maxParticipants: 7, metadata: 'hello' });
  assert.equal(room.name, 'svc-a');
  assert.match(room.sid, /^RM_/);
  assert.equal(room.emptyTimeout, 120);
  assert.equal(room.maxParticipants, 7);
  assert.equal(room.metadata, 'hello');
  const again = await svc.createRoom({ name: 'svc-a' });
  assert.equal(again.sid, room.sid, 'creating an existing room returns it');
  await svc.createRoom({ name: 'svc-b' });

  const names = (await svc.listRooms()).map((r) => r.name).sort();
  assert.ok(names.includes('svc-a') && names.includes('svc-b'));
  assert.deepEqual((await svc.listRooms(['svc-b'])).map((r) => r.name), ['svc-b']);

  await svc.deleteRoom('svc-a');
  assert.deepEqual((await svc.listRooms(['svc-a'])), []);
  await assert.rejects(svc.deleteRoom('svc-a'), (e) => e.status === 404 && e.code === 'not_found');
});

test('participants: list, get, update, remove — and the clients hear about it', async () => {
  await svc.createRoom({ name: 'svc-people' });
  const alice = await SignalClient.connect(server.wsUrl, await joinToken('svc-people', 'alice'));
  await alice.nextCase('join');
  const bob = await SignalClient.connect(server.wsUrl, await joinToken('svc-people', 'bob'));
  await bob.nextCase('join');

  const listed = await svc.listParticipants('svc-people');
  assert.deepEqual(listed.map((p) => p.identity).sort(), ['alice', 'bob']);
  assert.ok(listed.every((p) => p.sid.startsWith('PA_')));

  const got = await svc.getParticipant('svc-people', 'bob');
  assert.equal(got.identity, 'bob');
  await assert.rejects(svc.getParticipant('svc-people', 'nobody'), (e) => e.status === 404);

  const updated = await svc.updateParticipant('svc-people', 'bob', { metadata: 'vip', name: 'Robert', attributes: { team: 'blue' } });
  assert.equal(updated.metadata, 'vip');
  assert.equal(updated.name, 'Robert');
  const seen = await alice.next((m) => m.message.case === 'update' && m.message.value.participants.some((p) => p.identity === 'bob' && p.metadata === 'vip'));
  assert.deepEqual(seen.message.value.participants.find((p) => p.identity === 'bob').attributes, { team: 'blue' });
  // The subject sees its own update too (SDKs resolve setMetadata on it).
  await bob.next((m) => m.message.case === 'update' && m.message.value.participants.some((p) => p.identity === 'bob' && p.metadata === 'vip'));

  const room = await svc.updateRoomMetadata('svc-people', 'room-meta');
  assert.equal(room.metadata, 'room-meta');
  assert.equal((await alice.nextCase('roomUpdate')).room.metadata, 'room-meta');

  await svc.removeParticipant('svc-people', 'bob');
  const leave = await bob.nextCase('leave');
  assert.equal(leave.reason, DisconnectReason.PARTICIPANT_REMOVED);
  await bob.closed;
  const gone = await alice.next((m) => m.message.case === 'update' && m.message.value.participants.some((p) => p.identity === 'bob' && p.state === ParticipantInfo_State.DISCONNECTED));
  assert.ok(gone);
  assert.deepEqual((await svc.listParticipants('svc-people')).map((p) => p.identity), ['alice']);

  await svc.deleteRoom('svc-people');
  assert.equal((await alice.nextCase('leave')).reason, DisconnectReason.ROOM_DELETED);
  await alice.closed;
});

test('grants are checked per method', async () => {
  const listOnly = await adminToken({ roomList: true });
  assert.equal((await twirp('ListRooms', '{}', { token: listOnly })).status, 200);
  const denied = await twirp('CreateRoom', '{"name":"x"}', { token: listOnly });
  assert.equal(denied.status, 403);
  assert.equal(JSON.parse(denied.body).code, 'permission_denied');
  assert.equal(denied.type, 'application/json');

  await svc.createRoom({ name: 'svc-admin' });
  const otherRoomAdmin = await adminToken({ roomAdmin: true, room: 'elsewhere' });
  const wrongRoom = await twirp('ListParticipants', '{"room":"svc-admin"}', { token: otherRoomAdmin });
  assert.equal(wrongRoom.status, 403);
  assert.match(JSON.parse(wrongRoom.body).msg, /another room/);
  const rightRoom = await twirp('ListParticipants', '{"room":"svc-admin"}', { token: await adminToken({ roomAdmin: true, room: 'svc-admin' }) });
  assert.equal(rightRoom.status, 200);
});

test('authentication failures are 401 unauthenticated', async () => {
  const none = await twirp('ListRooms', '{}');
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).code, 'unauthenticated');
  const wrongSecret = new RoomServiceClient(server.httpUrl, API_KEY, 'not-the-secret');
  await assert.rejects(wrongSecret.listRooms(), (e) => e.status === 401 && /signature/.test(e.message));
});

test('malformed bodies get a Twirp error with a code', async () => {
  const token = await adminToken({ roomList: true, roomCreate: true });
  const badJson = await twirp('CreateRoom', '{"name": ', { token });
  assert.equal(badJson.status, 400);
  assert.equal(JSON.parse(badJson.body).code, 'malformed');
  const wrongType = await twirp('CreateRoom', '{"name": 5, "emptyTimeout": "soon"}', { token });
  assert.equal(wrongType.status, 400);
  assert.equal(JSON.parse(wrongType.body).code, 'malformed');
  const badProto = await twirp('ListRooms', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { token, contentType: 'application/protobuf' });
  assert.equal(badProto.status, 400);
  assert.equal(JSON.parse(badProto.body).code, 'malformed');
  const missingName = await twirp('CreateRoom', '{}', { token });
  assert.equal(missingName.status, 400);
  assert.equal(JSON.parse(missingName.body).code, 'invalid_argument');
  const unknownMethod = await twirp('Nope', '{}', { token });
  assert.equal(unknownMethod.status, 404);
  assert.equal(JSON.parse(unknownMethod.body).code, 'bad_route');
  const oversized = await twirp('CreateRoom', JSON.stringify({ name: 'x'.repeat(2 << 20) }), { token });
  assert.equal(oversized.status, 413);
});

test('protobuf bodies are answered in protobuf; unknown JSON fields and snake_case are accepted', async () => {
  const token = await adminToken({ roomList: true, roomCreate: true });
  await twirp('CreateRoom', '{"name":"svc-proto","empty_timeout":33,"someFutureField":1}', { token });
  const res = await twirp('ListRooms', new ListRoomsRequest({ names: ['svc-proto'] }).toBinary(), { token, contentType: 'application/protobuf' });
  assert.equal(res.status, 200);
  assert.equal(res.type, 'application/protobuf');
  const decoded = ListRoomsResponse.fromBinary(new Uint8Array(res.body));
  assert.deepEqual(decoded.rooms.map((r) => [r.name, r.emptyTimeout]), [['svc-proto', 33]]);
});

test('SendData checks its room and size (delivery is covered by sfu/livekit_client.netns.mjs)', async () => {
  await svc.createRoom({ name: 'svc-data' });
  await svc.sendData('svc-data', new Uint8Array([1, 2]), 0, {});
  await assert.rejects(svc.sendData('svc-nowhere', new Uint8Array([1]), 0, {}), (e) => e.status === 404);
  await assert.rejects(svc.sendData('svc-data', new Uint8Array(70000), 0, {}), (e) => e.status === 400);
});
