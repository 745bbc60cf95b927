// The convox CLI and convox-server's command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenVerifier } from 'livekit-server-sdk';
import { run, startServer, API_KEY, API_SECRET } from './lib/server.mjs';
import { SignalClient } from './lib/signal.mjs';

test('convox token create makes tokens livekit-server-sdk verifies', async () => {
  const { code, stdout } = await run('convox', [
    'token', 'create', '--room', 'cli-room', '--identity', 'carol', '--name', 'Carol',
    '--metadata', '{"a":1}', '--attribute', 'k=v', '--no-publish', '--can-update-metadata', '--valid-for', '15m',
  ]);
  assert.equal(code, 0);
  const claims = await new TokenVerifier(API_KEY, API_SECRET).verify(stdout.trim());
  assert.equal(claims.sub, 'carol');
  assert.equal(claims.name, 'Carol');
  assert.equal(claims.metadata, '{"a":1}');
  assert.deepEqual(claims.attributes, { k: 'v' });
  assert.equal(claims.video.room, 'cli-room');
  assert.equal(claims.video.roomJoin, true);
  assert.equal(claims.video.canPublish, false);
  assert.equal(claims.video.canUpdateOwnMetadata, true);
  assert.ok(claims.exp - claims.nbf === 900);
});

test('a CLI token joins a running server', async () => {
  const server = await startServer();
  try {
    const { stdout } = await run('convox', ['token', 'create', '--room', 'cli-join', '--identity', 'dave', '--no-publish']);
    const c = await SignalClient.connect(server.wsUrl, stdout.trim());
    const join = await c.nextCase('join');
    assert.equal(join.participant.identity, 'dave');
    assert.equal(join.participant.permission.canPublish, false);
    assert.equal(join.participant.permission.canPublishData, false, 'canPublishData follows canPublish');
    await c.close();
  } finally {
    await server.stop();
  }
});

test('convox-server refuses to start without keys, naming the fix', async () => {
  const { code, stderr } = await run('convox-server', ['--port', '0']);
  assert.equal(code, 2);
  assert.match(stderr, /no API keys configured/);
});

test('flags override the environment, which overrides the config file', async () => {
  const server = await startServer({
    args: ['--keys', 'flagkey: flagsecret'],
    env: { CONVOX_KEYS: 'envkey: envsecret' },
    config: 'keys:\n  filekey: filesecret\n',
  });
  try {
    const { stdout } = await run('convox', ['token', 'create', '--list', '--api-key', 'flagkey', '--api-secret', 'flagsecret']);
    const ok = await fetch(`${server.httpUrl}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${stdout.trim()}` }, body: '{}',
    });
    assert.equal(ok.status, 200);
    const env = await run('convox', ['token', 'create', '--list', '--api-key', 'envkey', '--api-secret', 'envsecret']);
    const refused = await fetch(`${server.httpUrl}/twirp/livekit.RoomService/ListRooms`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${env.stdout.trim()}` }, body: '{}',
    });
    assert.equal(refused.status, 401);
  } finally {
    await server.stop();
  }
});

test('--log-format json writes one JSON object per line', async () => {
  const server = await startServer({ args: ['--log-format', 'json', '--log-level', 'info'] });
  await server.stop();
  const lines = server.stderr.trim().split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const rec = JSON.parse(line);
    assert.ok(rec.time && rec.level && rec.tag && typeof rec.msg === 'string');
  }
});

test('SIGTERM shuts the server down cleanly', async () => {
  const server = await startServer();
  const { code } = await server.stop();
  assert.equal(code, 0);
});

test('the example config in deploy/ starts a server', async () => {
  const example = new URL('../../deploy/convox.yaml', import.meta.url).pathname;
  const server = await startServer({ noDev: true, args: ['--config', example, '--bind', '127.0.0.1'] });
  try {
    assert.equal((await fetch(`${server.httpUrl}/healthz`)).status, 200);
  } finally {
    await server.stop();
  }
});
