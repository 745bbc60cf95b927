// The unmodified @livekit/agents 1.9.0 worker (PROTOCOL-agents.md §6.2)
// against convox-server: it registers, is offered a job, accepts it and is
// assigned it; its job process joins the room with the minted token (its
// ctx.connect() resolves once the publisher transport connects), and deleting
// the dispatch terminates the job, which takes the agent out of the room.
// Audio between agent and participants is not asserted here: that needs the
// SFU's forwarding path and a voice pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { JobStatus, ParticipantInfo_Kind } from '@livekit/protocol';
import { startServer, API_KEY, API_SECRET } from './lib/server.mjs';

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

function startAgent(server, agentName) {
  const child = spawn(process.execPath, [path.join(here, 'agents/minimal_agent.mjs'), 'dev'], {
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
  return {
    get output() {
      return output;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
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
