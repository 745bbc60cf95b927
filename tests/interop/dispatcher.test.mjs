// Agent dispatch at the protocol level: signal-level workers built on
// @livekit/protocol register at /agent, take jobs, and are terminated;
// livekit-server-sdk's AgentDispatchClient drives the dispatch API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobType, JobStatus, WorkerStatus, AgentDispatch, CreateAgentDispatchRequest } from '@livekit/protocol';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, startServer, API_KEY, API_SECRET } from './lib/server.mjs';
import { SignalClient, joinToken, upgradeStatus } from './lib/signal.mjs';
import { AgentWorker, agentToken, jwtClaims, firstAsked } from './lib/agent_worker.mjs';

// Each test gets its own server, so jobs queued by one never reach another's workers.
async function withServer(fn, opts = {}) {
  const server = await startServer(opts);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

const join = (server, room, identity) => joinToken(room, identity).then((t) => SignalClient.connect(server.wsUrl, t));

test('registration: header or query token, register response first', () =>
  withServer(async (server) => {
    const viaHeader = await AgentWorker.register(server.wsUrl);
    assert.match(viaHeader.id, /^AW_[0-9A-Za-z]{12}$/);
    assert.equal(viaHeader.registration.serverInfo.agentProtocol, 1);
    assert.ok(viaHeader.registration.serverInfo.version.length > 0);
    const viaQuery = await AgentWorker.register(server.wsUrl, { query: true, agentName: 'q' });
    assert.notEqual(viaQuery.id, viaHeader.id);
    viaQuery.send('ping', { timestamp: 42n });
    const pong = await viaQuery.nextCase('pong');
    assert.equal(pong.lastTimestamp, 42n);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /convox_agent_workers\{status="available"\} 2/);
    await viaHeader.close();
    await viaQuery.close();
  }));

test('bad credentials are refused with 401; a plain GET /agent is 404', () =>
  withServer(async (server) => {
    assert.equal(await upgradeStatus(`${server.wsUrl}/agent`), 401);
    const noAgentGrant = await agentToken({ roomJoin: true, room: 'x' }, { identity: 'not-an-agent' });
    assert.equal(await upgradeStatus(`${server.wsUrl}/agent?access_token=${noAgentGrant}`), 401);
    const wrongSecret = await agentToken({ agent: true }, { secret: 'not-the-secret' });
    await assert.rejects(AgentWorker.open(server.wsUrl, { token: wrongSecret }), (e) => e.status === 401);
    assert.equal((await fetch(`${server.httpUrl}/agent`)).status, 404);
  }));

test('a first message other than register, or a malformed frame, closes only that worker', () =>
  withServer(async (server) => {
    const good = await AgentWorker.register(server.wsUrl);
    const early = await AgentWorker.open(server.wsUrl);
    early.send('updateWorker', { load: 0.5 });
    const closedEarly = await early.closed;
    assert.equal(closedEarly.code, 1008);
    assert.match(closedEarly.reason, /first message must be register/);

    const garbled = await AgentWorker.register(server.wsUrl, { agentName: 'g' });
    garbled.ws.send(Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    const closedGarbled = await garbled.closed;
    assert.equal(closedGarbled.code, 1007);
    assert.match(closedGarbled.reason, /not a valid livekit.WorkerMessage/);

    good.send('ping', { timestamp: 1n });
    await good.nextCase('pong');
    await good.close();
  }));

test('automatic dispatch: room job offered, accepted, assigned with a job token; the agent leaving ends it', () =>
  withServer(async (server) => {
    const worker = await AgentWorker.register(server.wsUrl);
    const alice = await join(server, 'auto-room', 'alice');
    await alice.nextCase('join');
    const job = await worker.answerNext();
    assert.equal(job.type, JobType.JT_ROOM);
    assert.equal(job.room.name, 'auto-room');
    assert.match(job.room.sid, /^RM_/);
    assert.match(job.id, /^AJ_/);
    assert.match(job.dispatchId, /^AD_/);
    assert.equal(job.state.status, JobStatus.JS_RUNNING);
    assert.equal(job.state.workerId, worker.id);

    const assignment = await worker.nextCase('assignment');
    assert.equal(assignment.job.id, job.id);
    assert.equal(assignment.url, server.wsUrl);
    const claims = jwtClaims(assignment.token);
    assert.equal(claims.sub, `agent-${job.id}`);
    assert.equal(claims.kind, 'agent');
    assert.equal(claims.iss, API_KEY);
    assert.equal(claims.exp - claims.nbf, 3600);
    assert.deepEqual(
      { roomJoin: claims.video.roomJoin, room: claims.video.room, agent: claims.video.agent },
      { roomJoin: true, room: 'auto-room', agent: true },
    );
    assert.equal(claims.attributes['lk.agent_name'], '');

    // A job token has the agent grant too, but with roomJoin it must not
    // register a worker (a team worker's job would become a platform credential).
    assert.equal(await upgradeStatus(`${server.wsUrl}/agent?access_token=${assignment.token}`), 401);
    // The job token joins the room as an agent; when that agent leaves, the job ends.
    // (A drop without a leave is given 20 s to come back first: the unit tests cover that.)
    const agent = await SignalClient.connect(server.wsUrl, assignment.token, { header: true });
    const agentJoin = await agent.nextCase('join');
    assert.equal(agentJoin.participant.identity, `agent-${job.id}`);
    agent.send({ case: 'leave', value: { reason: 1, action: 0 } }); // CLIENT_INITIATED, DISCONNECT
    await agent.close();
    const termination = await worker.nextCase('termination');
    assert.equal(termination.jobId, job.id);
    assert.ok(await worker.quiet('availability', 300), 'an agent participant launches no job');
    await alice.close();
    await worker.close();
  }));

test('decline and silence move the job to the next worker', () =>
  withServer(async (server) => {
    const names = { agentName: 'pool' };
    const workers = await Promise.all([0, 1, 2].map(() => AgentWorker.register(server.wsUrl, names)));
    const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
    await rooms.createRoom({ name: 'pool-room', agents: [{ agentName: 'pool', metadata: 'm' }] });
    const started = Date.now();
    // First asked: declines. Second asked: stays silent (3 s timeout). Third: accepts.
    const first = await firstAsked(workers);
    first.worker.send('availability', { jobId: first.request.job.id, available: false });
    const second = await firstAsked(workers.filter((w) => w !== first.worker));
    const third = workers.find((w) => w !== first.worker && w !== second.worker);
    const job = await third.answerNext({ timeoutMs: 6000 });
    assert.equal(job.id, first.request.job.id);
    assert.equal(job.metadata, 'm');
    assert.ok(Date.now() - started >= 2900, 'the silent worker had its 3 s');
    const assignment = await third.nextCase('assignment');
    assert.equal(assignment.job.id, job.id);
    // A late answer from the silent worker is ignored.
    second.worker.send('availability', { jobId: job.id, available: true, participantIdentity: 'late' });
    assert.ok(await second.worker.quiet('assignment', 300));
    await Promise.all(workers.map((w) => w.close()));
  }));

test('a job waits for a matching worker, and a full worker is skipped until it frees up', () =>
  withServer(async (server) => {
    const full = await AgentWorker.register(server.wsUrl, { agentName: 'later' });
    full.send('updateWorker', { status: WorkerStatus.WS_FULL, load: 1 });
    full.send('ping', { timestamp: 1n }); // the pong means the update was handled
    await full.nextCase('pong');
    const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
    await rooms.createRoom({ name: 'queue-room', agents: [{ agentName: 'later' }] });
    assert.ok(await full.quiet('availability', 300));
    const fresh = await AgentWorker.register(server.wsUrl, { agentName: 'later' });
    const job = await fresh.answerNext();
    assert.equal(job.room.name, 'queue-room');
    await fresh.nextCase('assignment');

    await rooms.createRoom({ name: 'queue-room-2', agents: [{ agentName: 'later' }] });
    fresh.send('updateWorker', { status: WorkerStatus.WS_FULL, load: 0.9 });
    await fresh.answerNext({ available: false }); // asked before its update landed: it declines
    full.send('updateWorker', { status: WorkerStatus.WS_AVAILABLE, load: 0.1 });
    const second = await full.answerNext();
    assert.equal(second.room.name, 'queue-room-2');
    await full.close();
    await fresh.close();
  }));

test('a worker that drops before its agent joins has its job dispatched again', () =>
  withServer(async (server) => {
    const first = await AgentWorker.register(server.wsUrl, { agentName: 'flaky' });
    const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
    await rooms.createRoom({ name: 'flaky-room', agents: [{ agentName: 'flaky' }] });
    const job = await first.answerNext();
    await first.nextCase('assignment');
    const second = await AgentWorker.register(server.wsUrl, { agentName: 'flaky' });
    assert.ok(await second.quiet('availability', 200));
    await first.close();
    const again = await second.answerNext();
    assert.equal(again.id, job.id);
    const assignment = await second.nextCase('assignment');
    assert.equal(assignment.job.state.workerId, second.id);
    await second.close();
  }));

test('AgentDispatchService: create, list, delete (which terminates the job); JSON and protobuf', () =>
  withServer(async (server) => {
    const worker = await AgentWorker.register(server.wsUrl, { agentName: 'api-agent' });
    const client = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
    const created = await client.createDispatch('api-room', 'api-agent', { metadata: '{"k":1}' });
    assert.match(created.id, /^AD_/);
    assert.equal(created.agentName, 'api-agent');
    assert.equal(created.room, 'api-room');
    assert.equal(created.metadata, '{"k":1}');

    const job = await worker.answerNext();
    assert.equal(job.dispatchId, created.id);
    assert.equal(job.metadata, '{"k":1}');
    await worker.nextCase('assignment');

    const listed = await client.listDispatch('api-room');
    const ours = listed.find((d) => d.id === created.id);
    assert.ok(ours, 'the dispatch is listed');
    assert.equal(ours.state.jobs.length, 1);
    assert.equal(ours.state.jobs[0].id, job.id);
    assert.equal(ours.state.jobs[0].state.status, JobStatus.JS_RUNNING);
    assert.equal((await client.getDispatch(created.id, 'api-room')).id, created.id);

    // The same API in protobuf.
    const token = await joinToken('api-room', 'admin', { roomAdmin: true });
    const res = await fetch(`${server.httpUrl}/twirp/livekit.AgentDispatchService/CreateDispatch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/protobuf', Authorization: `Bearer ${token}` },
      body: new CreateAgentDispatchRequest({ room: 'api-room', agentName: 'nobody' }).toBinary(),
    });
    assert.equal(res.status, 200);
    const viaProto = AgentDispatch.fromBinary(new Uint8Array(await res.arrayBuffer()));
    assert.equal(viaProto.agentName, 'nobody');

    await client.deleteDispatch(created.id, 'api-room');
    const termination = await worker.nextCase('termination');
    assert.equal(termination.jobId, job.id);
    assert.equal(await client.getDispatch(created.id, 'api-room'), undefined);
    await worker.close();
  }));

test('AgentDispatchService refuses tokens without roomAdmin for the room', () =>
  withServer(async (server) => {
    const wrongRoom = await joinToken('other-room', 'admin', { roomAdmin: true });
    const client = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
    client.authHeader = async () => ({ Authorization: `Bearer ${wrongRoom}` });
    await assert.rejects(client.createDispatch('api-room', 'x'), (e) => e.status === 401 || /401|unauthenticated/.test(String(e)));
    const res = await fetch(`${server.httpUrl}/twirp/livekit.AgentDispatchService/ListDispatch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ room: 'api-room' }),
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).code, 'unauthenticated');
  }));

test('configured availability and queue timeouts apply; an oversized agent participant is refused', () =>
  withServer(
    async (server) => {
      // A silent worker is skipped after the 600 ms of --agent-availability-timeout-ms.
      const workers = await Promise.all([0, 1].map(() => AgentWorker.register(server.wsUrl, { agentName: 'quick' })));
      const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
      await rooms.createRoom({ name: 'quick-room', agents: [{ agentName: 'quick' }] });
      const silent = await firstAsked(workers);
      const askedAt = Date.now();
      const other = workers.find((w) => w !== silent.worker);
      const offer = await other.nextCase('availability', 3000);
      const waited = Date.now() - askedAt;
      assert.ok(waited >= 500 && waited < 2500, `the next worker was asked after ${waited} ms`);

      // Metadata over the 4 KiB limit: refused, not assigned; the job moves on
      // (here to nobody, as both workers have been tried) instead of being lost.
      other.send('availability', {
        jobId: offer.job.id,
        available: true,
        participantIdentity: `agent-${offer.job.id}`,
        participantMetadata: 'm'.repeat(5000),
      });
      assert.ok(await other.quiet('assignment', 500));
      const dispatches = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
      const [dispatch] = await dispatches.listDispatch('quick-room');
      assert.equal(dispatch.state.jobs[0].state.status, JobStatus.JS_PENDING);
      let metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /convox_agent_job_attempts_total\{outcome="refused"\} 1/);
      assert.match(server.stderr, /participant_metadata is 5000 bytes, more than the limit of 4096/);

      // That job now waits; CONVOX_AGENT_QUEUE_TIMEOUT_MS=1000 ends the wait.
      await new Promise((r) => setTimeout(r, 1500));
      metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /convox_agent_jobs_ended_total\{how="expired"\} 1/);
      const late = await AgentWorker.register(server.wsUrl, { agentName: 'quick' });
      assert.ok(await late.quiet('availability', 300));
      await Promise.all([...workers, late].map((w) => w.close()));
    },
    { args: ['--agent-availability-timeout-ms', '600', '--log-level', 'warn'], env: { CONVOX_AGENT_QUEUE_TIMEOUT_MS: '1000' } },
  ));

// Two teams whose agents share an id ("support"), so both calls dispatch under
// the same agent name: a worker registered with team B's API key must never be
// offered team A's job (its system prompt and call parameters); platform
// workers (a LiveKit token with the agent grant) serve every team.
const WORKER_NAME = 'convox-pool';
test('team-scoped workers: a team key worker gets only its team\'s jobs, a platform worker all', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'convox-teams-'));
  const createTeam = async (name) => {
    const r = await run('convox-server', ['--dev', '--data-dir', dataDir, '--create-team', name]);
    assert.equal(r.code, 0, r.stderr);
    return { id: r.stdout.match(/team: (\S+)/)[1], key: r.stdout.match(/api key: (\S+)/)[1] };
  };
  const teamA = await createTeam('A');
  const teamB = await createTeam('B');
  await withServer(
    async (server) => {
      const api = async (key, method, pathname, body) => {
        const res = await fetch(server.httpUrl + pathname, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        assert.ok(res.ok, `${method} ${pathname}: ${res.status} ${text}`);
        return JSON.parse(text);
      };
      for (const team of [teamA, teamB]) {
        await api(team.key, 'POST', '/v1/agents', { id: 'support', name: 'Support', system_prompt: `secret prompt of ${team.id}` });
      }
      const call = (team) => api(team.key, 'POST', '/v1/calls', { agent_id: 'support', parameters: { customer: `customer of ${team.id}` } });

      // A wrong team key is refused at the upgrade, with a reason.
      assert.equal(await upgradeStatus(`${server.wsUrl}/agent`, { authorization: 'Bearer cvx_not_a_key' }), 401);
      assert.equal(await upgradeStatus(`${server.wsUrl}/agent?access_token=${teamB.key}`), 401, 'a team key goes in the header, not the URL');

      // Calls dispatch under the worker name (agents.worker_name, set here
      // through the environment), whatever the agent: one registration serves all.
      const workerB = await AgentWorker.register(server.wsUrl, { agentName: WORKER_NAME, token: teamB.key });
      const callA = await call(teamA);
      assert.equal(callA.agent_dispatched, true);
      assert.ok(await workerB.quiet('availability', 1500), "team B's worker was offered team A's job");

      // Team A's own worker (the key in the query this time) takes it, with team A's metadata.
      const workerA = await AgentWorker.register(server.wsUrl, { agentName: WORKER_NAME, token: teamA.key });
      const jobA = await workerA.answerNext();
      assert.equal(jobA.room.name, callA.room);
      const metaA = JSON.parse(jobA.metadata);
      assert.equal(metaA.team_id, teamA.id);
      assert.equal(metaA.agent.id, 'support');
      assert.equal(metaA.agent.system_prompt, `secret prompt of ${teamA.id}`);
      const assignment = await workerA.nextCase('assignment');
      assert.equal(jwtClaims(assignment.token).iss, API_KEY); // the server's key signs the job token
      assert.equal(jwtClaims(assignment.token).video.room, callA.room);

      // Team B's call reaches B's worker, never A's.
      const callB = await call(teamB);
      const jobB = await workerB.answerNext();
      assert.equal(jobB.room.name, callB.room);
      assert.equal(JSON.parse(jobB.metadata).team_id, teamB.id);
      assert.ok(await workerA.quiet('availability', 500), "team A's worker was offered team B's job");

      // Nothing B's worker ever received names team A or carries its prompt.
      const seenByB = workerB.history.map((m) => m.toJsonString()).join('\n');
      assert.ok(!seenByB.includes(teamA.id) && !seenByB.includes('customer of'.concat(' ', teamA.id)), seenByB);

      // A platform worker serves both teams. (The jobs of the two closed team
      // workers, whose agents never joined, are dispatched again and reach it too.)
      await workerA.close();
      await workerB.close();
      const platform = await AgentWorker.register(server.wsUrl, { agentName: WORKER_NAME });
      const teamOfRoom = new Map([[callA.room, teamA.id], [callB.room, teamB.id]]);
      for (const team of [teamA, teamB]) teamOfRoom.set((await call(team)).room, team.id);
      const offered = new Set();
      while (offered.size < teamOfRoom.size) {
        const job = await platform.answerNext();
        assert.equal(JSON.parse(job.metadata).team_id, teamOfRoom.get(job.room.name), job.room.name);
        offered.add(job.room.name);
      }
      await platform.close();
    },
    { args: ['--data-dir', dataDir], env: { CONVOX_AGENT_WORKER_NAME: WORKER_NAME } },
  );
});
