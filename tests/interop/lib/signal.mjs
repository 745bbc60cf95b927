// A signal-level LiveKit client: the /rtc WebSocket with @livekit/protocol's
// SignalRequest / SignalResponse, and no media.
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import WebSocket from 'ws';
import { AccessToken } from 'livekit-server-sdk';
import { API_KEY, API_SECRET } from './server.mjs';
import { MessageSocket, opened } from './message_socket.mjs';

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

export class SignalClient extends MessageSocket {
  constructor(ws) {
    super(ws, (data, isBinary) =>
      isBinary ? SignalResponse.fromBinary(new Uint8Array(data)) : SignalResponse.fromJsonString(data.toString()));
  }

  /** Connects; token in the query (JS SDK style) or in a header (rtc-node style). */
  static async connect(wsUrl, token, { header = false, query = '' } = {}) {
    const q = header ? `?protocol=17${query}` : `?access_token=${token}&protocol=17&auto_subscribe=1${query}`;
    const ws = new WebSocket(`${wsUrl}/rtc${q}`, header ? { headers: { Authorization: `Bearer ${token}` } } : {});
    // Listen before the upgrade completes: the JoinResponse can arrive in the
    // same read as the 101 response.
    const client = new SignalClient(ws);
    await opened(ws);
    return client;
  }

  send(message) {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  sendRaw(bytes) {
    this.ws.send(bytes);
  }
}

/** The HTTP status a WebSocket upgrade to `url` (with `headers`) was answered with (101 if accepted). */
export function upgradeStatus(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
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
