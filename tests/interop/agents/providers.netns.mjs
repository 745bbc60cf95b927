// Network providers end to end: convox-server --dev with its built-in
// worker, an agent on Deepgram streaming STT + OpenAI chat completions (which
// fails, so its `fallback`, Groq, answers) + ElevenLabs multi-stream TTS, all
// three local servers in this test speaking the providers' wire formats
// (lib/provider_servers.mjs) with fixed provider-side delays (STT final
// 150 ms, LLM first token 300 ms, TTS first audio 150 ms). The caller is the
// playground page in headless Chromium with the test microphone. Afterwards:
// what each provider received, the stored turns (providers, the fallback
// event), the conversation's cost against the team's own price rows, the
// analytics endpoints against the turns, and the platform's own share of the
// voice-to-voice time. ElevenLabs is reached with the team's stored key and
// base URL, the others with the worker's. Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchChromium, media } from '../lib/browser.mjs';
import { installTestMicrophone } from '../lib/test_microphone.mjs';
import { startChatCompletions, startDeepgramListen, startElevenLabs } from '../lib/provider_servers.mjs';
import { apiOf, startVoiceServer } from '../lib/voice_call.mjs';

const STT_MS = 150;
const LLM_MS = 300;
const TTS_MS = 150;
// The replies' first sentences end in their second delta, streamed 20 ms
// after the first token: the model's time too, not the platform's.
const FIRST_SENTENCE_MS = 20;
const KEYS = { deepgram: 'dg-e2e-key-0123', openai: 'sk-e2e-primary-0123', groq: 'gsk-e2e-fallback-0123', elevenlabs: 'el-e2e-key-0123' };
const HEARD = ['I would like to book an appointment.', 'What are your opening hours?'];
const REPLIES = [
  ['I can book', ' that for you.', ' Which day suits you?'],
  ['We are open', ' from nine to five.'],
];
const USAGE = [
  { prompt_tokens: 61, completion_tokens: 12, total_tokens: 73 },
  { prompt_tokens: 90, completion_tokens: 9, total_tokens: 99 },
];

let dg;
let primary;
let fallback;
let el;
let voice;
let browser;

before(async () => {
  dg = await startDeepgramListen({ key: KEYS.deepgram, transcripts: HEARD, finalDelayMs: STT_MS });
  primary = await startChatCompletions({ key: KEYS.openai, answer: () => ({ status: 503, error: 'The engine is currently overloaded' }) });
  fallback = await startChatCompletions({
    key: KEYS.groq,
    ttftMs: LLM_MS,
    answer: (body, n) => ({ deltas: REPLIES[Math.min(n, REPLIES.length - 1)], usage: USAGE[Math.min(n, USAGE.length - 1)] }),
  });
  el = await startElevenLabs({ key: KEYS.elevenlabs, ttfbMs: TTS_MS });
  // The worker's own keys and base URLs (an operator's settings: trusted).
  // ElevenLabs is the team's own: its key and base URL are stored with
  // /v1/providers (below), and the operator lets that provider's keys reach
  // the (loopback) address.
  voice = await startVoiceServer({
    env: {
      DEEPGRAM_API_KEY: KEYS.deepgram, DEEPGRAM_BASE_URL: `${dg.url}/v1`,
      OPENAI_API_KEY: KEYS.openai, OPENAI_BASE_URL: primary.url,
      GROQ_API_KEY: KEYS.groq, GROQ_BASE_URL: fallback.url,
      ELEVENLABS_KEY_ORIGINS: el.url,
    },
  });
  browser = await launchChromium(media('silence_2s.wav'));
});

after(async () => {
  await browser?.close();
  await voice?.server.stop();
  await Promise.all([dg?.close(), primary?.close(), fallback?.close(), el?.close()]);
});

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
};

test('Deepgram + a failing OpenAI with a Groq fallback + ElevenLabs, from the playground: the conversation, what each provider received, its cost and the analytics', async () => {
  const { server } = voice;
  const api = apiOf(server);
  const log = () => `server log:\n${server.stderr.slice(-5000)}`;
  // The team's own prices for what this call uses, so the cost is checkable.
  for (const [provider, prices] of Object.entries({
    deepgram: [{ model: 'nova-3', unit: 'audio_seconds', usd: 0.0077, per: 'minute' }],
    groq: [{ model: 'llama-3.1-8b-instant', unit: 'input_tokens', usd: 0.05, per: '1k' }, { model: 'llama-3.1-8b-instant', unit: 'output_tokens', usd: 0.08, per: '1k' }],
    elevenlabs: [{ model: 'eleven_flash_v2_5', unit: 'characters', usd: 0.3, per: '1k' }],
  })) {
    const r = await api('PUT', `/v1/providers/${provider}/pricing`, { prices });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  const configured = await api('POST', '/v1/providers/elevenlabs/configure', { api_key: KEYS.elevenlabs, base_url: el.url });
  assert.equal(configured.status, 201, JSON.stringify(configured.json));
  const created = await api('POST', '/v1/agents', {
    name: 'Provider test clinic',
    language: 'en-US',
    first_message: 'Hello, this is the provider test clinic.',
    keywords: ['appointment'],
    stt: { provider: 'deepgram', model: 'nova-3' },
    llm: { provider: 'openai', model: 'gpt-4o-mini', system_prompt: 'You are a clinic receptionist.', fallback: [{ provider: 'groq', model: 'llama-3.1-8b-instant' }] },
    tts: { provider: 'elevenlabs', voice: 'voice-e2e', model: 'eleven_flash_v2_5' },
    voice: { stability: 0.4, similarity: 0.8, output_format: 'pcm_24000' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const agentId = created.json.id;

  const context = await browser.newContext();
  await context.addInitScript(installTestMicrophone);
  const page = await context.newPage();
  await page.goto(`${server.httpUrl}/?agent=${agentId}`);
  await page.waitForFunction((id) => document.getElementById('agent-select').value === id, agentId, { timeout: 10000 });
  const waitPage = async (fn, arg, timeout = 30000) => {
    try {
      return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    } catch (e) {
      const captions = await page.$$eval('#captions li', (l) => l.map((li) => `${li.dataset.who}: ${li.querySelector('.text').textContent}`));
      throw new Error(`${e.message}\npage: ${JSON.stringify({ captions, status: await page.textContent('#call-status'), error: await page.textContent('#error') })}\n${log()}`);
    }
  };
  const agentSaid = (re) => [...document.querySelectorAll('#captions li[data-who="agent"][data-final="true"] .text')].some((t) => new RegExp(re, 'i').test(t.textContent));
  const play = (name) => page.evaluate((b64) => window.__testMicrophone.play(b64), readFileSync(media(name)).toString('base64'));
  const listening = () => waitPage(() => document.getElementById('agent-state').dataset.state === 'listening');

  await page.click('#talk-button');
  // The first message, spoken by ElevenLabs: audio on the page and its caption.
  await waitPage(() => Number(document.getElementById('agent-level').dataset.peak) > 0.02);
  await waitPage(agentSaid, 'provider test clinic');
  await listening();
  // Two turns: Deepgram hears them, OpenAI fails, Groq answers, ElevenLabs speaks.
  await play('book_appointment.wav');
  await waitPage(agentSaid, 'Which day suits you');
  await listening();
  await play('opening_hours.wav');
  await waitPage(agentSaid, 'nine to five');
  await listening();
  await page.waitForTimeout(500); // the last caption and turn are posted
  await page.click('#hangup-button');
  await waitPage(() => !document.getElementById('transcript-panel').hidden);
  const conversationId = await page.$eval('#transcript-panel', (e) => e.dataset.conversation);
  await context.close();

  // Deepgram: its key, the query LiveKit's plugin sends, audio per utterance, Finalize.
  assert.ok(dg.log.connections.length >= 1, 'deepgram was connected to');
  const q = dg.log.connections[0].query;
  assert.deepEqual([q.model, q.encoding, q.sample_rate, q.channels, q.interim_results], [['nova-3'], ['linear16'], ['16000'], ['1'], ['true']], JSON.stringify(q));
  assert.deepEqual(q.keyterm, ['appointment']);
  assert.ok(dg.log.finalizes >= 2, `finalizes: ${dg.log.finalizes}`);
  for (const bytes of dg.log.audioBytes.slice(0, 2)) assert.ok(bytes >= 16000, `an utterance's audio: ${bytes} bytes`);
  await voice.until(() => dg.log.connections.every((c) => c.closed), 'the deepgram socket closed at the end of the call', 10000);

  // The primary LLM was asked and failed; the fallback got the transcripts.
  assert.ok(primary.log.requests.length >= 1);
  assert.ok(primary.log.requests.every((r) => r.auth === `Bearer ${KEYS.openai}`));
  const answered = fallback.log.requests.filter((r) => r.body.messages?.some((m) => m.role === 'user'));
  assert.equal(answered.length, 2, JSON.stringify(fallback.log.requests.map((r) => r.body.messages)));
  assert.equal(answered[0].body.model, 'llama-3.1-8b-instant');
  assert.equal(answered[0].body.stream, true);
  const lastUser = (r) => r.body.messages.filter((m) => m.role === 'user').at(-1).content;
  assert.equal(lastUser(answered[0]), HEARD[0]);
  assert.equal(lastUser(answered[1]), HEARD[1]);

  // ElevenLabs (reached at all: the team's key at the team's base URL, as the
  // stand-in refuses any other key): pcm at 24 kHz, the voice settings, one
  // context per reply.
  assert.equal(el.log.connections[0].voice, 'voice-e2e');
  assert.equal(el.log.connections[0].query.output_format, 'pcm_24000');
  assert.equal(el.log.connections[0].query.model_id, 'eleven_flash_v2_5');
  const init = el.log.messages.find((m) => m.voice_settings);
  assert.ok(init, 'a context was initialised with the voice settings');
  assert.equal(init.voice_settings.stability, 0.4);
  assert.equal(init.voice_settings.similarity_boost, 0.8);
  const flushed = el.log.messages.filter((m) => m.flush).map((m) => m.text).join('');
  assert.match(flushed, /Which day suits you\?/);
  assert.match(flushed, /from nine to five\./);
  const contexts = new Set(el.log.messages.filter((m) => m.flush).map((m) => m.context_id));
  assert.ok(contexts.size >= 3, `one context per reply: ${[...contexts]}`);

  // The stored turns name their providers; the first answer records the fallback.
  const turns = (await api('GET', `/v1/conversations/${conversationId}/turns`)).json.turns;
  const agentTurns = turns.filter((t) => t.role === 'agent' && t.timings?.user_speech_end);
  assert.equal(agentTurns.length, 2, JSON.stringify(turns));
  for (const t of agentTurns) assert.deepEqual(t.providers, { stt: 'deepgram', llm: 'groq', tts: 'elevenlabs' }, JSON.stringify(t));
  const events = turns.flatMap((t) => t.provider_events ?? []);
  assert.ok(events.some((e) => e.stage === 'llm' && e.provider === 'openai' && e.event === 'fallback' && e.to === 'groq'), JSON.stringify(events));

  // Cost: every quantity as the providers count it, priced by the team's rows.
  await voice.until(async () => {
    const c = (await api('GET', `/v1/conversations/${conversationId}/cost`)).json;
    return c.by_provider?.some((p) => p.provider === 'deepgram');
  }, 'the usage records', 15000);
  const cost = (await api('GET', `/v1/conversations/${conversationId}/cost`)).json;
  const row = (provider) => cost.by_provider.find((p) => p.provider === provider);
  const lifetime = dg.log.connections.reduce((s, c) => s + (c.closed - c.opened) / 1000, 0);
  const dgSeconds = row('deepgram').quantities.audio_seconds;
  assert.ok(Math.abs(dgSeconds - lifetime) < 1.0, `deepgram bills the socket's lifetime: ${dgSeconds} s recorded, ${lifetime} s open`);
  assert.equal(row('elevenlabs').quantities.characters, el.log.characters, JSON.stringify(row('elevenlabs')));
  const groq = row('groq');
  assert.equal(groq.quantities.input_tokens, USAGE[0].prompt_tokens + USAGE[1].prompt_tokens);
  assert.equal(groq.quantities.output_tokens, USAGE[0].completion_tokens + USAGE[1].completion_tokens);
  const micro = (usd) => Math.round(usd * 1e6);
  const near = (got, want, what) => assert.ok(Math.abs(micro(got) - micro(want)) <= 2, `${what}: ${got} USD, expected ${want}`);
  near(row('deepgram').cost_usd, (dgSeconds / 60) * 0.0077, 'deepgram');
  near(row('elevenlabs').cost_usd, (el.log.characters / 1000) * 0.3, 'elevenlabs');
  near(groq.cost_usd, (groq.quantities.input_tokens / 1000) * 0.05 + (groq.quantities.output_tokens / 1000) * 0.08, 'groq');

  // Analytics against the stored turns.
  const range = `from=${new Date(Date.now() - 3600e3).toISOString()}&to=${new Date(Date.now() + 60e3).toISOString()}&agent_id=${agentId}`;
  const overview = (await api('GET', `/v1/analytics/overview?${range}`)).json;
  assert.equal(overview.calls, 1, JSON.stringify(overview));
  near(overview.cost_usd, cost.total_usd ?? cost.cost_usd, 'overview cost');
  const latency = (await api('GET', `/v1/analytics/latency?${range}`)).json;
  const v2v = agentTurns.map((t) => t.timings.first_packet_out - t.timings.user_speech_end);
  const llm = agentTurns.map((t) => t.timings.llm_first_token - t.timings.stt_final);
  const stage = (name) => latency.stages.find((s) => s.stage === name);
  assert.equal(stage('voice_to_voice').p50_ms, percentile(v2v, 50), JSON.stringify(latency));
  assert.equal(stage('voice_to_voice').p95_ms, percentile(v2v, 95), JSON.stringify(latency));
  assert.equal(stage('llm').p50_ms, percentile(llm, 50), JSON.stringify(latency));
  assert.equal(stage('llm').by_provider.find((p) => p.provider === 'groq')?.p50_ms, percentile(llm, 50), JSON.stringify(latency));
  const providers = (await api('GET', `/v1/analytics/providers?${range}`)).json;
  const openai = providers.providers.find((p) => p.provider === 'openai' && p.stage === 'llm');
  assert.ok(openai && openai.fallbacks >= 1 && openai.fallback_rate > 0, JSON.stringify(providers));

  // The platform's own share: what the caller waited beyond the providers'
  // fixed delays and the endpointing silence the agent is configured to wait
  // (the VAD's min_silence: a setting, not overhead).
  const at = (t, a, b) => t.timings[b] - t.timings[a];
  const endpointing = agentTurns.map((t) => at(t, 'user_speech_end', 'vad_end'));
  const providerMs = STT_MS + LLM_MS + FIRST_SENTENCE_MS + TTS_MS;
  const share = agentTurns.map((t, i) => v2v[i] - endpointing[i] - providerMs);
  const stages = agentTurns.map((t) => ({
    endpointing: at(t, 'user_speech_end', 'vad_end'), stt: at(t, 'vad_end', 'stt_final'), llm: at(t, 'stt_final', 'llm_first_token'),
    tts: at(t, 'llm_first_token', 'tts_first_audio'), transport: at(t, 'tts_first_audio', 'first_packet_out'),
  }));
  console.log(`per turn (ms): ${JSON.stringify(stages)}`);
  console.log(`voice-to-voice p50 ${percentile(v2v, 50)} ms, p95 ${percentile(v2v, 95)} ms over ${v2v.length} turns; endpointing silence p50 ${percentile(endpointing, 50)} ms; providers' fixed delays ${providerMs} ms; platform share p50 ${percentile(share, 50)} ms, p95 ${percentile(share, 95)} ms (aim: <= 60 ms)`);
});
