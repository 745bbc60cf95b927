// A signal-level LiveKit agent worker: the /agent WebSocket with
// @livekit/protocol's WorkerMessage / ServerMessage, and nothing else.
import { WorkerMessage, ServerMessage, JobType } from '@livekit/protocol';
import WebSocket from 'ws';
import { AccessToken } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from './server.mjs';

/** A worker token as the agents SDKs make it: the agent grant, no identity. */
export async function agentToken(grant = { agent: true }, opts = {}) {
  const at = new AccessToken(opts.key ?? API_KEY, opts.secret ?? API_SECRET, opts.identity ? { identity: opts.identity } : {});
  at.addGrant(grant);
  return at.toJwt();
}

export class AgentWorker {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? ServerMessage.fromBinary(new Uint8Array(data)) : ServerMessage.fromJsonString(data.toString());
      this.messages.push(msg);
      for (const w of [...this.waiters]) {
        if (w.match(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
          break;
        }
      }
    });
  }

  /** Opens /agent; the token goes in a header (as both SDKs do) or the query. */
  static async open(wsUrl, { token, query = false } = {}) {
    const t = token ?? (await agentToken());
    const ws = new WebSocket(
      query ? `${wsUrl}/agent?access_token=${t}` : `${wsUrl}/agent`,
      query ? {} : { headers: { Authorization: `Bearer ${t}` } },
    );
    const worker = new AgentWorker(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      });
      ws.once('error', reject);
    });
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

  next(match, timeoutMs = 5000, what = 'message') {
    const found = this.messages.find(match);
    if (found) {
      this.messages.splice(this.messages.indexOf(found), 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  nextCase(kase, timeoutMs = 5000) {
    return this.next((m) => m.message.case === kase, timeoutMs, kase).then((m) => m.message.value);
  }

  /** The first already-received message of `kase`, removed from the queue, or undefined. */
  take(kase) {
    const found = this.messages.find((m) => m.message.case === kase);
    if (!found) return undefined;
    this.messages.splice(this.messages.indexOf(found), 1);
    return found.message.value;
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

  close() {
    this.ws.close();
    return this.closed;
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
