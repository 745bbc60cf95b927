// Local stand-ins for the cloud providers, speaking their real wire formats
// (../../../../shared/PROTOCOL-providers.md) on loopback, and recording what
// the worker sent so a test can check it: Deepgram's /v1/listen WebSocket,
// OpenAI-compatible chat completions (SSE) and ElevenLabs'
// multi-stream-input WebSocket. Each answers after a fixed delay the test
// chooses (the provider's own latency), so the platform's share of the
// voice-to-voice time can be measured from the turns' timestamps.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listen(server, host) {
  return new Promise((resolve) => server.listen(0, host, () => resolve(server.address().port)));
}

// Deepgram streaming STT. `transcripts` are the finals, one per utterance
// (the server cannot understand speech; the test knows what it plays).
export async function startDeepgramListen({ key, transcripts, finalDelayMs = 150, host = '127.0.0.1' }) {
  const log = { connections: [], finals: 0, keepAlives: 0, closeStreams: 0, finalizes: 0, audioBytes: [] };
  const server = http.createServer((req, res) => {
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname !== '/v1/listen') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (req.headers.authorization !== `Token ${key}`) {
      const body = JSON.stringify({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.', request_id: 'r-401' });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ndg-error: Invalid credentials.\r\ndg-request-id: r-401\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url));
  });
  function onConnection(ws, url) {
    const conn = { query: Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)])), opened: Date.now() };
    log.connections.push(conn);
    let bytes = 0;
    let start = 0;
    const send = (o) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));
    ws.on('message', async (data, isBinary) => {
      if (isBinary) {
        if (data.length === 0) ws.close(1002, 'DATA-0000');
        bytes += data.length;
        return;
      }
      const msg = JSON.parse(data.toString());
      if (msg.type === 'KeepAlive') log.keepAlives++;
      if (msg.type === 'Finalize') {
        log.finalizes++;
        log.audioBytes.push(bytes);
        const seconds = bytes / 32000;
        const transcript = transcripts[Math.min(log.finals, transcripts.length - 1)] ?? '';
        log.finals++;
        bytes = 0;
        await sleep(finalDelayMs);
        const words = transcript.split(/\s+/).filter(Boolean);
        send({
          type: 'Results', channel_index: [0, 1], duration: seconds, start, is_final: true, speech_final: true, from_finalize: true,
          channel: { alternatives: [{ transcript, confidence: 0.97, languages: ['en'], words: words.map((w, i) => ({ word: w.toLowerCase(), start: start + i * 0.3, end: start + i * 0.3 + 0.25, confidence: 0.97, punctuated_word: w })) }] },
          metadata: { request_id: 'req-dg', model_info: { name: 'general-nova-3', version: '2026', arch: 'nova-3' }, model_uuid: 'u-1' },
        });
        start += seconds;
      }
      if (msg.type === 'CloseStream') {
        log.closeStreams++;
        send({ type: 'Metadata', transaction_key: 'deprecated', request_id: 'req-dg', sha256: '0', created: new Date().toISOString(), duration: start, channels: 1 });
        ws.close(1000);
      }
    });
    ws.on('close', () => (conn.closed = Date.now()));
  }
  const port = await listen(server, host);
  return { url: `http://${host}:${port}`, log, close: () => new Promise((r) => { wss.close(); server.close(r); server.closeAllConnections?.(); }) };
}

// OpenAI-compatible chat completions. `answer(body, n)` returns
// { status, error, deltas, usage } for the n-th request; deltas are streamed
// `ttftMs` after the request, then 20 ms apart.
export async function startChatCompletions({ key, answer, ttftMs = 300, host = '127.0.0.1' }) {
  const log = { requests: [] };
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    // The worker's connection warm-up (HEAD) is answered, not counted as a request.
    if (req.method !== 'POST') return res.writeHead(404).end();
    const body = raw ? JSON.parse(raw) : {};
    const n = log.requests.length;
    log.requests.push({ path: req.url, auth: req.headers.authorization, body, at: Date.now() });
    if (req.url !== '/v1/chat/completions') return res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${key}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }));
    }
    const a = answer(body, n);
    if (a.status && a.status !== 200) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: a.error ?? 'upstream failure', type: 'server_error', param: null, code: null } }));
    }
    await sleep(ttftMs);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta, finish = null) => ({ id: 'chatcmpl-local', object: 'chat.completion.chunk', created: 1767225600, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
    const send = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    send(chunk({ role: 'assistant', content: '' }));
    for (const d of a.deltas ?? []) {
      send(chunk({ content: d }));
      await sleep(20);
    }
    send(chunk({}, 'stop'));
    if (a.usage) send({ id: 'chatcmpl-local', object: 'chat.completion.chunk', created: 1767225600, model: body.model, choices: [], usage: a.usage });
    res.end('data: [DONE]\n\n');
  });
  const port = await listen(server, host);
  return { url: `http://${host}:${port}/v1`, log, close: () => new Promise((r) => { server.close(r); server.closeAllConnections?.(); }) };
}

// ElevenLabs multi-stream-input. Each flushed text becomes a tone as long as
// the text would take to say (15 characters a second), sent `ttfbMs` after
// the flush in 100 ms chunks at the requested pcm rate, with alignment.
export async function startElevenLabs({ key, ttfbMs = 150, hz = 330, host = '127.0.0.1' }) {
  const log = { connections: [], messages: [], characters: 0 };
  const server = http.createServer((req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const m = /^\/v1\/text-to-speech\/([^/]+)\/multi-stream-input$/.exec(url.pathname);
    if (!m) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (req.headers['xi-api-key'] !== key) {
      const body = JSON.stringify({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url, m[1]));
  });
  function onConnection(ws, url, voice) {
    const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    const conn = { voice, query: Object.fromEntries(url.searchParams), opened: Date.now() };
    log.connections.push(conn);
    const rate = Number(/^pcm_(\d+)$/.exec(format)?.[1] ?? 0);
    const contexts = new Map();
    const send = (o) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));
    let phase = 0;
    ws.on('message', async (data) => {
      const msg = JSON.parse(data.toString());
      log.messages.push({ ...msg, at: Date.now() });
      const id = msg.context_id ?? 'default';
      if (msg.close_socket) return ws.close(1000);
      if (!contexts.has(id)) contexts.set(id, { text: '', closed: false, pending: Promise.resolve() });
      const ctx = contexts.get(id);
      if (msg.close_context) {
        ctx.closed = true;
        await ctx.pending;
        send({ isFinal: true, contextId: id });
        return;
      }
      if (typeof msg.text === 'string' && msg.text.trim()) ctx.text += msg.text;
      if (msg.flush && ctx.text.trim()) {
        const text = ctx.text;
        ctx.text = '';
        log.characters += text.length;
        ctx.pending = ctx.pending.then(async () => {
          await sleep(ttfbMs);
          if (!rate) return send({ error: 'unsupported_format', message: `this stand-in serves pcm only, not ${format}`, code: 1008 });
          const samples = Math.round((text.length / 15) * rate);
          const chunk = Math.round(rate / 10);
          for (let at = 0; at < samples && !ctx.closed; at += chunk) {
            const n = Math.min(chunk, samples - at);
            const pcm = Buffer.alloc(n * 2);
            for (let i = 0; i < n; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(phase++ * 2 * Math.PI * hz / rate)), i * 2);
            // As ElevenLabs aligns: each chunk names the characters that start in it,
            // their times from the chunk's start.
            const all = [...text];
            const perChar = (samples / rate) * 1000 / all.length;
            const t0 = (at / rate) * 1000;
            const t1 = ((at + n) / rate) * 1000;
            const inChunk = all.map((c, i) => [c, i * perChar]).filter(([, t]) => t >= t0 && t < t1);
            send({
              audio: pcm.toString('base64'), contextId: id, isFinal: null,
              alignment: { chars: inChunk.map(([c]) => c), charStartTimesMs: inChunk.map(([, t]) => Math.round(t - t0)), charDurationsMs: inChunk.map(() => Math.round(perChar)) },
              normalizedAlignment: null,
            });
            await sleep(5);
          }
        });
      }
    });
    ws.on('close', () => (conn.closed = Date.now()));
  }
  const port = await listen(server, host);
  return { url: `http://${host}:${port}`, log, close: () => new Promise((r) => { wss.close(); server.close(r); server.closeAllConnections?.(); }) };
}
