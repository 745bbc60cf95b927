// A signal-level LiveKit client: the /rtc WebSocket with @livekit/protocol's
// SignalRequest / SignalResponse, and no media.
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import WebSocket from 'ws';
import { AccessToken } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from './server.mjs';

export async function joinToken(room, identity, grant = {}, opts = {}) {
  const at = new AccessToken(opts.key ?? API_KEY, opts.secret ?? API_SECRET, {
    identity,
    name: opts.name ?? identity,
    metadata: opts.metadata,
    ttl: opts.ttl ?? '10m',
  });
  at.addGrant({ roomJoin: true, room, ...grant });
  return at.toJwt();
}

export class SignalClient {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? SignalResponse.fromBinary(new Uint8Array(data)) : SignalResponse.fromJsonString(data.toString());
      this.messages.push(msg);
      for (const w of [...this.waiters]) {
        if (w.match(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
  }

  /** Connects; token in the query (JS SDK style) or in a header (rtc-node style). */
  static async connect(wsUrl, token, { header = false, query = '' } = {}) {
    const q = header ? `?protocol=17${query}` : `?access_token=${token}&protocol=17&auto_subscribe=1${query}`;
    const ws = new WebSocket(`${wsUrl}/rtc${q}`, header ? { headers: { Authorization: `Bearer ${token}` } } : {});
    // Listen before the upgrade completes: the JoinResponse can arrive in the
    // same read as the 101 response.
    const client = new SignalClient(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
    return client;
  }

  /** Waits for the first message (already received or future) for which `match` is true. */
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

  send(message) {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  sendRaw(bytes) {
    this.ws.send(bytes);
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** The HTTP status a WebSocket upgrade to `url` was answered with (101 if accepted). */
export function upgradeStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode);
    });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('error', (e) => {
      if (!String(e.message).includes('Unexpected server response')) reject(e);
    });
  });
}
