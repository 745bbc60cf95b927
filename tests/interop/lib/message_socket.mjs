// A WebSocket carrying one protobuf message type each way, with a queue that
// tests wait on: what the signal client and the agent worker have in common.

export class MessageSocket {
  /** `decode(data, isBinary)` turns a frame into a message. */
  constructor(ws, decode) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data, isBinary) => {
      const msg = decode(data, isBinary);
      this.messages.push(msg);
      // One waiter takes a message.
      const waiter = this.waiters.find((w) => w.match(msg));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(msg);
      }
    });
  }

  /** Waits for the first message (already received or future) for which `match` is true, and takes it. */
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

  close() {
    this.ws.close();
    return this.closed;
  }
}

/** Resolves once `ws` is open; rejects with the status and body when the upgrade is refused. */
export function opened(ws) {
  return new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}
