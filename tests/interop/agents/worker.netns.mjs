// The unmodified @livekit/agents 1.9.0 worker (PROTOCOL-agents.md §6.2)
// against convox-server: it registers, is offered a job, accepts it and is
// assigned it; its job process joins the room with the minted token (its
// ctx.connect() resolves once the publisher transport connects), and deleting
// the dispatch terminates the job, which takes the agent out of the room.
// A second test kills one of two workers mid-job (its whole process group,
// job process included): the job is dispatched again and the other worker's
// agent joins. A third has the job publish audio (a sine through rtc-node)
// and a participant in the room hear it through the SFU.
// Run inside tests/interop/lib/netns.sh: the job processes' WebRTC (rtc-node)
// gathers candidates on every non-loopback interface, and the namespace's
// veth is the only one there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { JobStatus, ParticipantInfo_Kind } from '@livekit/protocol';
import { Room, RoomEvent, AudioStream, TrackKind, dispose } from '@livekit/rtc-node';
import { startServer as startConvox, API_KEY, API_SECRET } from '../lib/server.mjs';
import { joinToken } from '../lib/signal.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

async function until(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Media stays on the namespace's veth address.
const RTC_CONFIG = 'rtc:\n  interfaces: [10.77.0.1]\n';
function startServer(opts = {}) {
  return startConvox({ ...opts, config: RTC_CONFIG + (opts.config ?? '') });
}

function startAgent(server, agentName, script = 'minimal_agent.mjs') {
  const child = spawn(process.execPath, [path.join(here, script), 'dev'], {
    // Its own process group, so that the worker and the job processes it
    // forks can be stopped (or killed) together.
    detached: true,
    env: {
      ...process.env,
      LIVEKIT_URL: server.wsUrl,
      LIVEKIT_API_KEY: API_KEY,
      LIVEKIT_API_SECRET: API_SECRET,
      AGENT_NAME: agentName,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d) => {
    output += d;
    if (process.env.CONVOX_TEST_SHOW_LOGS) process.stderr.write(d);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  return {
    get output() {
      return output;
    },
    /** SIGKILL to the worker and its job processes: a crash, no goodbye to anyone. */
    async kill() {
      signalGroup('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      signalGroup('SIGKILL'); // job processes that outlived the worker
    },
  };
}

const workersAvailable = async (server) => {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const m = text.match(/convox_agent_workers\{status="available"\} (\d+)/);
  return m ? Number(m[1]) : 0;
};

test('@livekit/agents 1.9.0 registers, accepts an explicit dispatch, and its job joins the room', { timeout: 60000 }, async () => {
  const server = await startServer();
  const agent = startAgent(server, 'interop-agent');
  try {
    await until('the worker to register', async () => (await workersAvailable(server)) === 1);

    const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
    await rooms.createRoom({ name: 'agents-room' });
    const dispatches = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
    const dispatch = await dispatches.createDispatch('agents-room', 'interop-agent', { metadata: 'from the test' });

    // Accepted and assigned: the job runs on the worker as agent-<job id>.
    const job = await until('the job to be assigned', async () => {
      const d = await dispatches.getDispatch(dispatch.id, 'agents-room');
      const j = d?.state?.jobs?.[0];
      return j?.state?.status === JobStatus.JS_RUNNING && j.state.participantIdentity ? j : undefined;
    });
    assert.match(job.id, /^AJ_/);
    assert.equal(job.state.participantIdentity, `agent-${job.id}`);
    assert.match(job.state.workerId, /^AW_/);

    // The job process dialled the assignment's URL with the minted token.
    const participant = await until('the agent participant to join', async () => {
      const list = await rooms.listParticipants('agents-room');
      return list.find((p) => p.identity === `agent-${job.id}`);
    });
    assert.equal(participant.kind, ParticipantInfo_Kind.AGENT);
    assert.equal(participant.attributes['lk.agent_name'], 'interop-agent');
    await until('the job entry to run', () => agent.output.includes(`joined agents-room ${job.id}`));

    // Deleting the dispatch sends JobTermination; the job process leaves the room.
    await dispatches.deleteDispatch(dispatch.id, 'agents-room');
    await until('the agent to leave', async () => {
      const list = await rooms.listParticipants('agents-room');
      return !list.some((p) => p.identity === `agent-${job.id}`);
    });
  } catch (e) {
    e.message += `\n--- agent output ---\n${agent.output}\n--- server stderr ---\n${server.stderr}`;
    throw e;
  } finally {
    await agent.stop();
    await server.stop();
  }
});

test('@livekit/agents 1.9.0: a worker killed mid-job has its job dispatched again to the other worker', { timeout: 90000 }, async () => {
  // Short signal pings, so that even a job process that lingered would leave
  // the room within seconds; the room outlives the agent's absence.
  const server = await startServer({
    config: [
      'signal:\n  ping_interval: 1\n  ping_timeout: 3',
      'room:\n  departure_timeout: 60',
      'agents:\n  availability_timeout_ms: 1000',
    ].join('\n'),
  });
  const agents = [startAgent(server, 'failover-agent'), startAgent(server, 'failover-agent')];
  try {
    await until('both workers to register', async () => (await workersAvailable(server)) === 2);
    const rooms = new RoomServiceClient(server.httpUrl, API_KEY, API_SECRET);
    await rooms.createRoom({ name: 'failover-room' });
    const dispatches = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
    const dispatch = await dispatches.createDispatch('failover-room', 'failover-agent');
    const runningJob = async (notOnWorker) => {
      const d = await dispatches.getDispatch(dispatch.id, 'failover-room');
      const j = d?.state?.jobs?.[0];
      return j?.state?.status === JobStatus.JS_RUNNING && j.state.workerId !== notOnWorker ? j : undefined;
    };
    const agentInRoom = async (identity) => (await rooms.listParticipants('failover-room')).find((p) => p.identity === identity);

    const first = await until('the job to run', () => runningJob(''));
    const identity = `agent-${first.id}`;
    await until('the first agent to join', () => agentInRoom(identity));
    const victim = await until('the job to start in one of the workers', () =>
      agents.find((a) => a.output.includes(`joined failover-room ${first.id}`)),
    );
    const survivor = agents.find((a) => a !== victim);
    assert.ok(!survivor.output.includes(first.id), 'only one worker ran the job');

    const killedAt = Date.now();
    await victim.kill();
    await until('the killed agent to leave the room', async () => !(await agentInRoom(identity)), 10000);
    const leftAfterMs = Date.now() - killedAt;

    const second = await until('the job to run on the other worker', () => runningJob(first.state.workerId), 30000);
    assert.equal(second.id, first.id, 'the same job, dispatched again');
    assert.notEqual(second.state.workerId, first.state.workerId);
    const rejoined = await until('the other worker\'s agent to join', () => agentInRoom(identity), 30000);
    assert.equal(rejoined.kind, ParticipantInfo_Kind.AGENT);
    await until('the job entry to run on the other worker', () =>
      survivor.output.includes(`joined failover-room ${first.id}`),
    );
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /convox_agent_job_attempts_total\{outcome="worker_lost"\} 1/);
    console.log(`killed agent left the room ${leftAfterMs} ms after SIGKILL; re-dispatched agent joined ${Date.now() - killedAt} ms after it`);
  } catch (e) {
    e.message += `\n--- agent outputs ---\n${agents.map((a) => a.output).join('\n---\n')}\n--- server stderr ---\n${server.stderr}`;
    throw e;
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await server.stop();
  }
});

test('@livekit/agents 1.9.0: the job publishes audio and the participant hears it through the SFU', { timeout: 60000 }, async () => {
  const server = await startServer();
  const agent = startAgent(server, 'voice-agent', 'tone_agent.mjs');
  const participant = new Room();
  try {
    await until('the worker to register', async () => (await workersAvailable(server)) === 1);
    const heard = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the agent\'s track never arrived')), 30000);
      participant.on(RoomEvent.TrackSubscribed, (track, pub, from) => {
        if (track.kind !== TrackKind.KIND_AUDIO || !from.identity.startsWith('agent-')) return;
        clearTimeout(timer);
        resolve(track);
      });
    });
    await participant.connect(server.wsUrl, await joinToken('voice-room', 'caller'), { autoSubscribe: true });
    const dispatches = new AgentDispatchClient(server.httpUrl, API_KEY, API_SECRET);
    await dispatches.createDispatch('voice-room', 'voice-agent');
    const track = await heard;

    // Two seconds of what the caller receives, after the first half second.
    const samples = [];
    const t0 = Date.now();
    for await (const frame of new AudioStream(track, 48000, 1)) {
      if (Date.now() - t0 > 500) samples.push(...frame.data);
      if (Date.now() - t0 > 2500) break;
    }
    let crossings = 0;
    for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 && samples[i] >= 0) crossings++;
    const hz = (crossings * 48000) / samples.length;
    assert.ok(Math.abs(hz - 440) < 10, `the caller hears ${hz.toFixed(1)} Hz`);
    const rms = Math.sqrt(samples.reduce((a, x) => a + x * x, 0) / samples.length);
    assert.ok(rms > 3000, `rms ${rms.toFixed(0)}`);
  } catch (e) {
    e.message += `\n--- agent output ---\n${agent.output}\n--- server stderr ---\n${server.stderr}`;
    throw e;
  } finally {
    await participant.disconnect();
    await agent.stop();
    await server.stop();
    await dispose();
  }
});
