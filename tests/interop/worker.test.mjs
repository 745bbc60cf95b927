// convox-worker against a real convox-server on loopback: it registers at
// /agent under the worker name, takes the job of POST /v1/calls, joins the
// call's room as an AGENT participant (identity agent-<job id>), publishes
// its microphone, sets lk.agent.state, reports the conversation in
// progress, and ends it when the caller hangs up. The caller here is a
// signal-level LiveKit client (no media); the voice itself is tested in
// the namespace tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { API_KEY, API_SECRET, binDir, startServer } from './lib/server.mjs';
import { SignalClient } from './lib/signal.mjs';

const DEV_KEY = 'convox-dev-key';
let server;
let worker;
let workerLog = '';

function startWorker() {
  const child = spawn(path.join(binDir, 'convox-worker'), ['--ice-address', '127.0.0.1', '--media-threads', '2', '--log-level', 'info'], {
    env: { ...process.env, LIVEKIT_URL: server.wsUrl, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onData = (d) => {
    workerLog += d;
    if (process.env.CONVOX_TEST_SHOW_LOGS) process.stderr.write(d);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited };
}

async function api(method, pathname, body) {
  const headers = { authorization: `Bearer ${DEV_KEY}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(server.httpUrl + pathname, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined, text };
}

async function eventually(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\nworker log:\n${workerLog}`);
}

// Participant updates as the caller sees them, newest last.
function agentIn(updates) {
  let agent;
  for (const u of updates) for (const p of u.participants) if (p.identity.startsWith('agent-')) agent = p;
  return agent;
}

before(async () => {
  server = await startServer({ config: 'rtc:\n  interfaces: [127.0.0.1]\n' });
  worker = startWorker();
  await eventually(() => workerLog.includes('registered as AW_'), 'the worker to register');
  const made = await api('POST', '/v1/agents', { id: 'greeter', name: 'Greeter' });
  assert.equal(made.status, 201, made.text);
});

after(async () => {
  worker?.child.kill('SIGKILL');
  await server?.stop();
});

test('the worker joins the call as the agent, reports it in progress and ends it when the caller hangs up', async () => {
  const call = await api('POST', '/v1/calls', { agent_id: 'greeter', identity: 'caller-1' });
  assert.equal(call.status, 201, call.text);
  assert.equal(call.json.agent_dispatched, true);
  const caller = await SignalClient.connect(server.wsUrl, call.json.token);
  const join = await caller.nextCase('join');
  const updates = [{ participants: join.otherParticipants }];
  const collect = async () => {
    for (;;) {
      const u = caller.take('update');
      if (!u) break;
      updates.push(u);
    }
  };
  // The agent arrives as an AGENT participant named after the job and
  // reaches lk.agent.state=listening once its peer connection is up.
  const agent = await eventually(async () => {
    await collect();
    const a = agentIn(updates);
    return a && a.attributes['lk.agent.state'] === 'listening' ? a : undefined;
  }, 'the agent to join and listen');
  assert.equal(agent.kind, 4 /* AGENT */);
  assert.match(agent.identity, /^agent-AJ_/);
  assert.equal(agent.name, 'Greeter');
  assert.equal(agent.attributes['lk.agent_name'], 'convox');
  // Its microphone is published.
  await eventually(async () => {
    await collect();
    return agentIn(updates)?.tracks?.some((t) => t.type === 0 /* AUDIO */ && t.source === 2 /* MICROPHONE */);
  }, 'the agent microphone track');
  const live = await eventually(async () => {
    const c = await api('GET', `/v1/conversations/${call.json.conversation_id}`);
    return c.json?.status === 'in_progress' ? c.json : undefined;
  }, 'the conversation to be in progress');
  assert.equal(live.status, 'in_progress');

  // Hang up: the worker ends the call and the conversation is ended with the reason.
  caller.send({ case: 'leave', value: { reason: 1, action: 0 } });
  await caller.close();
  const ended = await eventually(async () => {
    const c = await api('GET', `/v1/conversations/${call.json.conversation_id}`);
    return c.json?.status === 'ended' ? c.json : undefined;
  }, 'the conversation to end');
  assert.equal(ended.end_reason, 'user_hangup');
  assert.match(workerLog, /ended \(the user left\)/);
});

test('a job whose metadata claims to be a call but is malformed is declined and the worker carries on', async () => {
  // Through LiveKit's own dispatch API, as any client could.
  const { AgentDispatchClient } = await import('livekit-server-sdk');
  const dispatch = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
  const { RoomServiceClient } = await import('livekit-server-sdk');
  await new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET).createRoom({ name: 'bad-metadata' });
  await dispatch.createDispatch('bad-metadata', 'convox', { metadata: JSON.stringify({ conversation_id: 42 }) });
  await eventually(() => /declined: job metadata: conversation_id must be a string/.test(workerLog), 'the decline');
  assert.equal(worker.child.exitCode, null, 'the worker is still running');
  // And it still takes good calls.
  const call = await api('POST', '/v1/calls', { agent_id: 'greeter' });
  assert.equal(call.status, 201, call.text);
  const caller = await SignalClient.connect(server.wsUrl, call.json.token);
  await caller.nextCase('join');
  await eventually(async () => {
    const c = await api('GET', `/v1/conversations/${call.json.conversation_id}`);
    return c.json?.status === 'in_progress';
  }, 'the next call to be taken');
  await caller.close();
});

test('convox-server --dev runs the built-in worker, restarts it when it dies and stops it with the server', async () => {
  const dev = await startServer({ builtinWorker: true, args: ['--log-level', 'info'], config: 'rtc:\n  interfaces: [127.0.0.1]\n' });
  try {
    const pidOf = () => [...dev.stderr.matchAll(/built-in worker started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    await eventually(() => pidOf().length === 1, 'the built-in worker to start');
    const headers = { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' };
    const post = (p, body) => fetch(dev.httpUrl + p, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json());
    await post('/v1/agents', { id: 'dev-agent', name: 'Dev agent' });
    const answered = async () => {
      const call = await post('/v1/calls', { agent_id: 'dev-agent' });
      const caller = await SignalClient.connect(dev.wsUrl, call.token);
      await caller.nextCase('join');
      await eventually(async () => {
        const c = await fetch(`${dev.httpUrl}/v1/conversations/${call.conversation_id}`, { headers }).then((r) => r.json());
        return c.status === 'in_progress';
      }, 'the built-in worker to take the call', 15000);
      await caller.close();
    };
    await answered();
    const [first] = pidOf();
    process.kill(first, 'SIGKILL');
    await eventually(() => pidOf().length === 2, 'the built-in worker to be restarted', 15000);
    assert.notEqual(pidOf()[1], first);
    await answered();
    const last = pidOf()[1];
    await dev.stop();
    // Stopped with the server: the pid is gone.
    assert.throws(() => process.kill(last, 0), /ESRCH/);
  } finally {
    await dev.stop();
  }
});
