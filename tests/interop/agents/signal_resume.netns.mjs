// The agent's signal connection drops mid-call and the call goes on: the
// worker (client/Room) resumes its session on a new WebSocket as the SDKs
// do (reconnect=1&sid=), the server keeps the participant and its media,
// and the same agent answers the next request. The agent reaches the
// server through a TCP proxy (--public-url names it: JobAssignment.url), so
// the test can cut that connection and nothing else; the caller, an
// unmodified @livekit/rtc-node participant, connects directly.
// Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { dispose } from '@livekit/rtc-node';
import { joinCall, startVoiceServer } from '../lib/voice_call.mjs';

let server;
let api;
let until;
let upstreamPort = 0;
const connections = new Set();
let accepted = 0;

// A byte-for-byte TCP relay to the server whose connections the test can cut.
let blocked = false; // refuse every connection, as a network that is down
const proxy = net.createServer((client) => {
  if (blocked) return client.destroy();
  accepted++;
  const upstream = net.connect(upstreamPort, '127.0.0.1');
  const pair = { client, upstream };
  connections.add(pair);
  const drop = () => {
    client.destroy();
    upstream.destroy();
    connections.delete(pair);
  };
  for (const s of [client, upstream]) {
    s.on('error', drop);
    s.on('close', drop);
  }
  client.pipe(upstream);
  upstream.pipe(client);
});

before(async () => {
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  // The server's port is known once it listens: the proxy dials it lazily.
  ({ server, api, until } = await startVoiceServer({ args: ['--public-url', `ws://127.0.0.1:${proxy.address().port}`] }));
  upstreamPort = server.port;
});

function cutAll() {
  for (const { client, upstream } of [...connections]) {
    client.destroy();
    upstream.destroy();
  }
}

after(async () => {
  for (const { client, upstream } of connections) {
    client.destroy();
    upstream.destroy();
  }
  proxy.close();
  await server?.stop();
  await dispose();
});

test("a dropped agent signal connection is resumed: same agent, same media, the conversation goes on", async () => {
  const { call, captions, states, heardSince, connectedAt, mic, room, hangUp } = await joinCall({ server, api }, { agent_id: 'demo-receptionist', identity: 'caller' });
  try {
    await until(() => heardSince(connectedAt), 'the first message as audio');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its first message', 30000);
    const agent = states.at(-1);
    assert.ok(connections.size >= 1 && accepted >= 1, 'the agent signals through the proxy');

    // Cut the agent's signal connection, as a network blip would.
    const cutAt = Date.now();
    cutAll();
    const resumed = await until(() => server.stderr.match(/job \S+: signal connection resumed \((\d+) attempts?\)/), 'the worker to resume');
    console.log(`resumed after ${Date.now() - cutAt} ms (${resumed[1]} attempt(s))`);
    assert.match(server.stderr, new RegExp(`participant ${agent.identity} \\(${agent.sid}\\): resumed`));
    assert.ok(accepted >= 2, 'a new connection through the proxy');

    // The same agent, on the same media, answers the next request.
    const spokeUntil = await mic.speak('book_appointment.wav');
    await until(() => captions.some((c) => c.identity === agent.identity && c.at > spokeUntil && /appointment request/i.test(c.text)), 'the reply caption', 30000);
    await until(() => heardSince(spokeUntil), 'the reply as audio');
    await until(() => states.at(-1)?.state === 'listening' && states.at(-1).at > spokeUntil, 'the state after the reply (sent over the resumed connection)', 30000);
    assert.deepEqual([...new Set(states.map((s) => s.identity))], [agent.identity], 'no other agent joined');
    assert.equal(room.remoteParticipants.size, 1);
    const conversation = await api('GET', `/v1/conversations/${call.conversation_id}`);
    assert.equal(conversation.json.status, 'in_progress');
    assert.doesNotMatch(server.stderr, /ended \(signal connection/);
  } finally {
    await hangUp();
  }
});

test('a signal connection down for longer than the resume window: the agent joins again as a new participant and the conversation goes on', async () => {
  const { call, captions, states, heardSince, connectedAt, mic, hangUp } = await joinCall({ server, api }, { agent_id: 'demo-receptionist', identity: 'caller2' });
  try {
    await until(() => heardSince(connectedAt), 'the first message as audio');
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its first message', 30000);
    const before = states.at(-1);

    // Down for 12 s: resumes fail, the server ends the session after its
    // 10 s resume window, and a later attempt joins afresh.
    blocked = true;
    cutAll();
    await until(() => server.stderr.includes(`participant ${before.identity}: not back within 10 s, leaving`), 'the server to give the session up', 20000);
    await new Promise((r) => setTimeout(r, 1500));
    blocked = false;
    const rejoined = await until(() => server.stderr.match(new RegExp(`joined room \\S+ again as ${before.identity} \\((PA_\\w+)\\)`)), 'the worker to join again', 30000);
    assert.notEqual(rejoined[1], before.sid, 'a new participant');
    // Its state is there again on the new participant, without a new turn.
    await until(() => states.some((s) => s.sid === rejoined[1] && s.state === 'listening'), 'the state on the new participant', 20000);

    const spokeUntil = await mic.speak('book_appointment.wav');
    await until(() => captions.some((c) => c.identity === before.identity && c.at > spokeUntil && /appointment request/i.test(c.text)), 'the reply caption', 30000);
    await until(() => heardSince(spokeUntil), 'the reply as audio');
    const conversation = await api('GET', `/v1/conversations/${call.conversation_id}`);
    assert.equal(conversation.json.status, 'in_progress', JSON.stringify(conversation.json));
    const turns = (await api('GET', `/v1/conversations/${call.conversation_id}/turns`)).json.turns;
    assert.equal(turns.filter((t) => /convox demo clinic/i.test(t.text)).length, 1, 'the first message was not said again');
  } finally {
    await hangUp();
  }
});
