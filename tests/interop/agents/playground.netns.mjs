// The playground page end to end, as a newcomer uses it: convox-server --dev
// with its built-in convox-worker serves the page at /, headless Chromium
// opens it, picks the demo receptionist and presses Talk. The page's
// microphone is a test-driven one (getUserMedia answered with a WebAudio
// stream into which the test plays the generated prompts, when it chooses),
// everything else is the page as shipped: livekit-client from
// playground/package-lock.json, the agent's audio, lk.agent.state, the
// lk.transcription captions, typed lk.chat input, and the stored transcript
// shown after the call. Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../lib/server.mjs';
import { launchChromium, media } from '../lib/browser.mjs';
import { installTestMicrophone } from '../lib/test_microphone.mjs';

let server;
let browser;

async function until(fn, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nserver log:\n${server.stderr.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  server = await startServer({
    builtinWorker: true,
    args: ['--log-level', process.env.CONVOX_VOICE_LOG ?? 'info'],
    config: 'rtc:\n  interfaces: [10.77.0.1]\n',
  });
  await until(() => /registered as AW_/.test(server.stderr), 'the built-in worker');
  browser = await launchChromium(media('silence_2s.wav'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the page at / carries no key and keeps the SDK probe answering; /playground/config.json gives the dev key in --dev only', async () => {
  const page = await fetch(`${server.httpUrl}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  // Only this server may be reached from the page: it holds the key.
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'; connect-src 'self';/);
  const html = await page.text();
  assert.match(html, /livekit-client\.umd\.js/);
  assert.doesNotMatch(html, /convox-dev-key|devkey|secret/);
  assert.equal((await fetch(`${server.httpUrl}/`, { method: 'HEAD' })).status, 200);
  const bundle = await fetch(`${server.httpUrl}/playground/livekit-client.umd.js`);
  assert.equal(bundle.status, 200);
  assert.match(await bundle.text(), /LivekitClient/);
  assert.equal((await fetch(`${server.httpUrl}/playground/../package.json`)).status, 404);
  assert.equal((await fetch(`${server.httpUrl}/playground/package-lock.json`)).status, 404);
  const config = await (await fetch(`${server.httpUrl}/playground/config.json`)).json();
  assert.equal(config.dev, true);
  assert.equal(config.api_key, 'convox-dev-key');

  // Without --dev the page learns no key: it asks for one.
  const plain = await startServer({ noDev: true, args: ['--keys', 'k1: s1-long-enough-for-hs256-0000000000'] });
  try {
    const c = await (await fetch(`${plain.httpUrl}/playground/config.json`)).json();
    assert.equal(c.dev, false);
    assert.equal(c.api_key, undefined);
    const p = await browser.newPage();
    await p.goto(`${plain.httpUrl}/`);
    await p.waitForSelector('#key-panel:not([hidden])', { timeout: 10000 });
    await p.fill('#key-input', 'not-a-key');
    await p.click('#key-form button');
    await p.waitForFunction(() => /refused/.test(document.getElementById('error').textContent), null, { timeout: 10000 });
    assert.equal(await p.evaluate(() => localStorage.getItem('convox.playground.apiKey')), null);
    await p.close();
  } finally {
    await plain.stop();
  }
});

test('Talk to the demo receptionist in the page: first message heard, state and both captions shown, typed input answered, goodbye ends the call and the stored transcript is shown', async () => {
  const context = await browser.newContext();
  await context.addInitScript(installTestMicrophone);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (process.env.CONVOX_TEST_SHOW_LOGS) console.log('page:', m.text());
  });
  await page.goto(`${server.httpUrl}/?agent=demo-receptionist`);
  await page.waitForFunction(() => document.getElementById('agent-select').value === 'demo-receptionist', null, { timeout: 10000 });
  assert.equal(await page.isHidden('#key-panel'), true, 'the dev server needs no key typed');

  const captions = () =>
    page.$$eval('#captions li', (items) => items.map((li) => ({ who: li.dataset.who, text: li.querySelector('.text').textContent, final: li.dataset.final })));
  // On a timeout, say what the page showed.
  const waitPage = async (fn, arg, timeout = 20000) => {
    try {
      return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    } catch (e) {
      if (process.env.CONVOX_TEST_SCREENSHOTS) await page.screenshot({ path: `${process.env.CONVOX_TEST_SCREENSHOTS}/playground-timeout.png`, fullPage: true });
      const shown = { captions: await captions(), state: await page.textContent('#agent-state'), status: await page.textContent('#call-status'), error: await page.textContent('#error') };
      throw new Error(`${e.message}\npage: ${JSON.stringify(shown)}\nserver log:\n${server.stderr.slice(-3000)}`);
    }
  };
  const play = async (name) => page.evaluate((b64) => window.__testMicrophone.play(b64), readFileSync(media(name)).toString('base64'));

  // Says a prompt until the agent's answer matches `reply`, as a caller
  // repeats themselves: the browser's audio thread may glitch on a loaded
  // machine, and PocketSphinx then mishears (the rtc-node test, whose
  // microphone is paced by the test, must understand the first time).
  const agentTexts = () => page.$$eval('#captions li[data-who="agent"][data-final="true"] .text', (t) => t.map((x) => x.textContent));
  const sayUntil = async (name, reply) => {
    for (let attempt = 1; ; attempt++) {
      const before = (await agentTexts()).length;
      await play(name);
      await waitPage((n) => document.querySelectorAll('#captions li[data-who="agent"][data-final="true"]').length > n, before, 30000);
      const answer = (await agentTexts()).slice(before).join(' ');
      if (reply.test(answer)) return attempt;
      const heard = (await captions()).filter((c) => c.who === 'user').at(-1)?.text;
      console.log(`${name}, attempt ${attempt}: heard "${heard}", answered "${answer}"`);
      if (attempt === 3) assert.fail(`the agent did not understand ${name} in 3 attempts`);
      await waitPage(() => document.getElementById('agent-state').dataset.state === 'listening', undefined, 30000);
    }
  };

  const states = [];
  await page.exposeFunction('__recordState', (s) => states.push(s));
  await page.evaluate(() => {
    const el = document.getElementById('agent-state');
    window.__recordState(el.dataset.state);
    new MutationObserver(() => window.__recordState(el.dataset.state)).observe(el, { attributes: true });
  });
  await page.click('#talk-button');
  // The agent joins and the page shows how long that took.
  await waitPage(() => document.getElementById('call-status').dataset.agentJoinedMs !== undefined);
  const joinedMs = Number(await page.$eval('#call-status', (e) => e.dataset.agentJoinedMs));
  console.log(`agent joined ${joinedMs} ms after the page connected (aim: 1000 ms)`);
  assert.ok(joinedMs >= 0 && joinedMs < 10000, `joined after ${joinedMs} ms`);

  // Its first message: as audio energy on the page, as a caption, with the state.
  assert.ok(states.includes('connecting'), `states seen: ${states.join(', ')}`);
  await waitPage(() => Number(document.getElementById('agent-level').dataset.peak) > 0.02);
  await waitPage(() => [...document.querySelectorAll('#captions li[data-who="agent"] .text')].some((t) => /convox demo clinic/i.test(t.textContent)));
  await waitPage(() => document.getElementById('agent-state').dataset.state === 'listening', undefined, 30000);
  assert.ok(states.includes('speaking'), `states seen: ${states.join(', ')}`);

  // Speak the request: the page shows the user's caption and the reply.
  await sayUntil('book_appointment.wav', /appointment request/i);
  await waitPage(() => [...document.querySelectorAll('#captions li[data-who="user"][data-final="true"] .text')].some((t) => /book|appointment/.test(t.textContent)));
  assert.ok(states.includes('thinking') || states.filter((s) => s === 'speaking').length >= 2, `states seen: ${states.join(', ')}`);
  await waitPage(() => document.getElementById('agent-state').dataset.state === 'listening', undefined, 30000);

  // Typed input goes over lk.chat and is answered like speech.
  await page.fill('#chat-input', 'what are your opening hours');
  await page.click('#chat-send');
  await waitPage(() => [...document.querySelectorAll('#captions li[data-who="agent"] .text')].some((t) => /monday to friday/i.test(t.textContent)), undefined, 30000);
  await waitPage(() => document.getElementById('agent-state').dataset.state === 'listening', undefined, 30000);

  // Goodbye: the agent ends the call; the page shows the stored transcript.
  await sayUntil('goodbye.wav', /goodbye/i);
  await waitPage(() => !document.getElementById('transcript-panel').hidden && document.getElementById('transcript-panel').dataset.status === 'ended', undefined, 30000);
  const summary = await page.textContent('#transcript-summary');
  assert.match(summary, /ended \(agent_ended\)/);
  assert.match(summary, /"wants_appointment":true/);
  const rows = await page.$$eval('#transcript tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const texts = rows.map((r) => r[2]).join(' | ');
  assert.match(texts, /book|appointment/);
  assert.match(texts, /opening hours/);
  assert.ok(rows.some((r) => r[1] === 'agent' && /^\d+$/.test(r[4])), `a reply with its voice-to-voice latency: ${JSON.stringify(rows)}`);
  assert.equal(await page.isDisabled('#talk-button'), false, 'Talk is offered again');
  assert.match(await page.textContent('#call-status'), /the agent ended the call/);

  if (process.env.CONVOX_TEST_SCREENSHOTS) await page.screenshot({ path: `${process.env.CONVOX_TEST_SCREENSHOTS}/playground.png`, fullPage: true });

  // The page's permalink shows the same stored transcript on a fresh load.
  const conversation = await page.$eval('#transcript-panel', (e) => e.dataset.conversation);
  const again = await context.newPage();
  await again.goto(`${server.httpUrl}/#conversation=${conversation}`);
  await again.waitForFunction((n) => document.querySelectorAll('#transcript tbody tr').length === n, rows.length, { timeout: 10000 });
  const all = await captions();
  assert.ok(all.some((c) => c.who === 'user') && all.some((c) => c.who === 'agent'), JSON.stringify(all));
  assert.deepEqual(pageErrors, []);
  await context.close();
});
