// Writes tests/data/livekit_tokens.json: tokens made by livekit-server-sdk's
// AccessToken, with the claims we expect to read back. The C++ unit tests
// verify them at the recorded time. Run again only to refresh the fixture:
//   node tests/interop/tools/make_token_fixtures.mjs
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { RoomConfiguration, RoomAgentDispatch, TrackSource } from '@livekit/protocol';

const key = 'APIfixture';
const secret = 'fixture-secret-that-is-long-enough';
const now = Math.floor(Date.now() / 1000);

const join = new AccessToken(key, secret, {
  identity: 'alice', name: 'Alice', metadata: '{"a":1}', attributes: { k: 'v' }, ttl: '6h',
});
join.addGrant({ roomJoin: true, room: 'my-room', canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE] });
join.roomConfig = new RoomConfiguration({ name: 'my-room', emptyTimeout: 30, maxParticipants: 5, agents: [new RoomAgentDispatch({ agentName: 'helper', metadata: 'm' })] });

const agent = new AccessToken(key, secret, { identity: 'agent-1', kind: 'agent', ttl: 3600 });
agent.addGrant({ roomJoin: true, room: 'r2', agent: true, hidden: true, canSubscribe: false });

const admin = new AccessToken(key, secret, { ttl: '10m' });
admin.addGrant({ roomCreate: true, roomList: true, roomAdmin: true, room: 'r3' });

const fixture = {
  note: 'made by livekit-server-sdk AccessToken; see tests/interop/tools/make_token_fixtures.mjs',
  apiKey: key,
  apiSecret: secret,
  issuedAt: now,
  tokens: { join: await join.toJwt(), agent: await agent.toJwt(), admin: await admin.toJwt() },
};
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/livekit_tokens.json');
writeFileSync(out, JSON.stringify(fixture, null, 2) + '\n');
console.log(`wrote ${out}`);
