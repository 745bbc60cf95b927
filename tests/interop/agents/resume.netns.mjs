// A worker that dies mid-call: convox-server --dev and its built-in
// convox-worker, the demo receptionist, an unmodified @livekit/rtc-node
// caller. After the agent has answered book_appointment.wav, convox-worker
// is killed (SIGKILL); the server's supervisor starts another, the
// dispatcher offers it the same job, and the new agent joins the same room
// and carries on from the stored turns: it answers opening_hours.wav
// (caption and audio) without saying its first message again, goodbye.wav
// ends the call as `ended` with the results collected before the crash, and
// no turn is stored twice. Run inside tests/interop/lib/netns.sh.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dispose } from '@livekit/rtc-node';
import { joinCall, startVoiceServer } from '../lib/voice_call.mjs';

let server;
let api;
let until;

// The built-in worker's pid, from the supervisor's last "started" line; checked against /proc.
function workerPid() {
  const started = [...server.stderr.matchAll(/built-in worker started \(pid (\d+)\)/g)];
  if (!started.length) return undefined;
  const pid = Number(started.at(-1)[1]);
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'convox-worker' ? pid : undefined;
  } catch {
    return undefined;
  }
}

before(async () => {
  ({ server, api, until } = await startVoiceServer());
});

after(async () => {
  await server?.stop();
  await dispose();
});

test('a re-dispatched job continues the conversation: no second greeting, the answer to the next question, results kept, nothing stored twice', async () => {
  const { call, captions, states, loud, heardSince, connectedAt, mic, hangUp } = await joinCall({ server, api }, { agent_id: 'demo-receptionist', identity: 'caller' });
  const conversation = `/v1/conversations/${call.conversation_id}`;
  const agentCaption = (re, since) => captions.find((c) => c.identity.startsWith('agent-') && c.at > since && re.test(c.text));
  try {
    // The first worker: greeting, then the booking request and its answer.
    await until(() => agentCaption(/convox demo clinic/i, connectedAt), 'the first message caption', 30000);
    const firstAgent = states.find((s) => s.identity.startsWith('agent-'))?.sid;
    assert.ok(firstAgent, `states: ${JSON.stringify(states)}`);
    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its first message', 30000);
    await mic.speak('book_appointment.wav');
    await until(() => agentCaption(/noted your appointment/i, connectedAt), 'the reply to the booking request', 30000);
    // Killed only once the reply and the result it set are stored.
    await until(async () => {
      const turns = (await api('GET', `${conversation}/turns`)).json?.turns ?? [];
      return turns.some((t) => t.role === 'agent' && /noted your appointment/i.test(t.text));
    }, 'the reply to be stored', 30000);
    const midCall = await until(async () => {
      const c = (await api('GET', conversation)).json;
      return c?.results?.wants_appointment === true ? c : undefined;
    }, 'wants_appointment stored while the call goes on');
    assert.equal(midCall.status, 'in_progress');

    const pid = await until(() => workerPid(), 'the worker pid');
    // What the first worker stored: the new one must number its turns after these.
    const storedBefore = (await api('GET', `${conversation}/turns`)).json.turns;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    console.log(`killed convox-worker pid ${pid}`);

    // Another worker takes the same job: a new agent participant in the same room.
    const rejoined = await until(() => states.find((s) => s.sid !== firstAgent && s.identity.startsWith('agent-') && s.state === 'listening' && s.at > killedAt), 'a new agent in the room', 60000);
    console.log(`the new agent was listening ${rejoined.at - killedAt} ms after the kill`);
    // The supervisor restarted the worker: a pid that exists, and not the killed one.
    const newPid = await until(() => workerPid(), 'the new worker pid', 30000);
    assert.ok(Number.isInteger(newPid), `no new worker pid (${newPid})`);
    assert.notEqual(newPid, pid);
    await until(() => /continuing conversation \S+ after \d+ stored turns/.test(server.stderr), 'the new worker to read the conversation so far');
    assert.equal((await api('GET', conversation)).json.status, 'in_progress');

    // The next question is answered by the new agent, with audio, and it never greets again.
    const askedAt = Date.now();
    const spokeUntil = await mic.speak('opening_hours.wav');
    await until(() => captions.find((c) => c.identity === 'caller' && c.at > askedAt && /opening hours/.test(c.text)), 'the user caption of the question', 30000);
    await until(() => agentCaption(/open monday to friday/i, askedAt), 'the answer caption', 30000);
    await until(() => heardSince(spokeUntil), 'the answer as audio', 30000);
    const newAgentAudio = loud.filter((w) => w.sid !== firstAgent && w.rms > 500);
    assert.ok(newAgentAudio.length > 0, 'the new agent is heard');
    assert.ok(newAgentAudio[0].at > spokeUntil, `the new agent spoke before it was asked (${newAgentAudio[0].at} <= ${spokeUntil})`);

    await until(() => states.at(-1)?.state === 'listening', 'the agent to listen after its answer', 30000);
    await mic.speak('goodbye.wav');
    const ended = await until(async () => {
      const c = (await api('GET', conversation)).json;
      return c?.status === 'ended' ? c : undefined;
    }, 'the call to end', 30000);
    assert.equal(ended.end_reason, 'agent_ended');
    assert.equal(ended.results.wants_appointment, true, JSON.stringify(ended.results));
    assert.ok(!captions.some((c) => c.identity.startsWith('agent-') && c.at > killedAt && /convox demo clinic/i.test(c.text)), 'the first message was said again');

    // Every turn once, in the order spoken.
    const turns = (await api('GET', `${conversation}/turns`)).json.turns;
    const ids = turns.map((t) => t.turn_id);
    // The API keeps the first write of a turn_id, so equal ids cannot show
    // here; what shows a restart from scratch is the numbering: the worker's
    // ids are <role letter><number>_<random>, and the new worker's numbers
    // must go on after every stored one.
    const numberOf = (id) => {
      const m = /^[ua](\d+)_/.exec(id);
      assert.ok(m, `not a worker turn id: ${id}`);
      return Number(m[1]);
    };
    const beforeIds = new Set(storedBefore.map((t) => t.turn_id));
    const lastBefore = Math.max(...storedBefore.map((t) => numberOf(t.turn_id)));
    const newIds = ids.filter((id) => !beforeIds.has(id));
    assert.ok(storedBefore.length >= 3 && newIds.length >= 4, `stored before the kill: ${[...beforeIds]}; after: ${newIds}`);
    for (const id of newIds) assert.ok(numberOf(id) > lastBefore, `the new worker's turn ${id} is not numbered after ${lastBefore}: ${ids}`);
    console.log(`turn numbers: up to ${lastBefore} before the kill, then ${newIds.map(numberOf)}`);
    const spoken = turns.filter((t) => !(t.role === 'agent' && /still there/i.test(t.text))).map((t) => `${t.role}: ${t.text}`);
    const expected = [/^agent: .*convox demo clinic/i, /^user: .*appointment/, /^agent: .*noted your appointment/i, /^user: .*opening hours/, /^agent: .*open monday to friday/i, /^user: .*goodbye/, /^agent: .*goodbye/i];
    assert.equal(spoken.length, expected.length, JSON.stringify(spoken, null, 1));
    expected.forEach((re, i) => assert.match(spoken[i], re, JSON.stringify(spoken, null, 1)));
    assert.equal(new Set(spoken).size, spoken.length, JSON.stringify(spoken, null, 1));
  } finally {
    await hangUp();
  }
});
