// A signal-level LiveKit agent worker: the /agent WebSocket with
// @livekit/protocol's WorkerMessage / ServerMessage, and nothing else.
import { WorkerMessage, ServerMessage, JobType } from '@livekit/protocol';
import WebSocket from 'ws';
import { AccessToken } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from './server.mjs';
import { MessageSocket, opened } from './message_socket.mjs';

/** A worker token as the agents SDKs make it: the agent grant, no identity. */
export async function agentToken(grant = { agent: true }, opts = {}) {
  const at = new AccessToken(opts.key ?? API_KEY, opts.secret ?? API_SECRET, opts.identity ? { identity: opts.identity } : {});
  at.addGrant(grant);
  return at.toJwt();
}

export class AgentWorker extends MessageSocket {
  constructor(ws) {
    const history = [];
    super(ws, (data, isBinary) => {
      const msg = isBinary ? ServerMessage.fromBinary(new Uint8Array(data)) : ServerMessage.fromJsonString(data.toString());
      history.push(msg);
      return msg;
    });
    /** Every ServerMessage received, in order, taken or not. */
    this.history = history;
  }

  /** Opens /agent; the token goes in a header (as both SDKs do) or the query. */
  static async open(wsUrl, { token, query = false } = {}) {
    const t = token ?? (await agentToken());
    const ws = new WebSocket(
      query ? `${wsUrl}/agent?access_token=${t}` : `${wsUrl}/agent`,
      query ? {} : { headers: { Authorization: `Bearer ${t}` } },
    );
    const worker = new AgentWorker(ws);
    await opened(ws);
    return worker;
  }

  /** Opens /agent and registers; resolves with the worker once registered. */
  static async register(wsUrl, { agentName = '', type = JobType.JT_ROOM, ...rest } = {}) {
    const worker = await AgentWorker.open(wsUrl, rest);
    worker.send('register', { type, agentName, version: 'interop', allowedPermissions: { canPublish: true, canSubscribe: true, canPublishData: true, agent: true } });
    worker.registration = await worker.nextCase('register');
    worker.id = worker.registration.workerId;
    return worker;
  }

  send(kase, value) {
    this.ws.send(new WorkerMessage({ message: { case: kase, value } }).toBinary());
  }

  /** True if no message of `kase` arrives within `ms` and the worker is still connected (a closed socket is not "quiet"). */
  async quiet(kase, ms) {
    try {
      await this.nextCase(kase, ms);
      return false;
    } catch (e) {
      if (!String(e.message).startsWith('timed out')) throw e;
      return this.ws.readyState === WebSocket.OPEN;
    }
  }

  /** Waits for an availability request and answers it; returns the job. */
  async answerNext({ available = true, terminate = false, timeoutMs = 5000 } = {}) {
    const req = await this.nextCase('availability', timeoutMs);
    const job = req.job;
    this.send('availability', {
      jobId: job.id,
      available,
      terminate,
      participantIdentity: available ? `agent-${job.id}` : '',
      participantName: available ? 'interop agent' : '',
      participantAttributes: available ? { 'lk.agent.name': job.agentName } : {},
    });
    return job;
  }
}

/** The claims of a JWT, unverified. */
export function jwtClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

/** The first of `workers` to receive an availability request: {worker, request}. */
export async function firstAsked(workers, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const worker of workers) {
      const request = worker.take('availability');
      if (request) return { worker, request };
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no worker was asked');
}
