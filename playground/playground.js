// The Convox playground: an ordinary LiveKit front end. It reads only what
// official LiveKit agents publish (lk.agent.state, lk.transcription text
// streams, the agent's microphone track, lk.chat), so it works with a
// LiveKit agent as well as with convox-worker. The /v1 calls use the dev key
// in --dev, else a key the user types, which stays in this browser.
'use strict';

(() => {
  const { Room, RoomEvent, Track } = window.LivekitClient;
  const KEY_STORAGE = 'convox.playground.apiKey';
  const $ = (id) => document.getElementById(id);

  const ui = {
    version: $('server-version'),
    keyPanel: $('key-panel'),
    keyForm: $('key-form'),
    keyInput: $('key-input'),
    forgetKey: $('forget-key'),
    agents: $('agent-select'),
    description: $('agent-description'),
    talk: $('talk-button'),
    hangup: $('hangup-button'),
    state: $('agent-state'),
    level: $('agent-level'),
    callStatus: $('call-status'),
    error: $('error'),
    captions: $('captions'),
    chatForm: $('chat-form'),
    chatInput: $('chat-input'),
    chatSend: $('chat-send'),
    transcriptPanel: $('transcript-panel'),
    transcriptLink: $('transcript-link'),
    transcriptSummary: $('transcript-summary'),
    transcriptBody: document.querySelector('#transcript tbody'),
    audio: $('agent-audio'),
  };

  let apiKey = '';
  let agentList = [];
  let call = null; // {room, conversationId, agentSeen, levelTimer, audioContext}

  function showError(message) {
    ui.error.textContent = message || '';
  }

  async function api(method, path, body) {
    const headers = { 'x-api-key': apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const reason = json?.error?.message ?? json?.message ?? json?.error ?? text ?? res.statusText;
      const error = new Error(`${method} ${path}: ${res.status} ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`);
      error.status = res.status;
      throw error;
    }
    return json;
  }

  // --- the key ---------------------------------------------------------------

  async function start() {
    const config = await (await fetch('/playground/config.json')).json();
    ui.version.textContent = config.version ? `convox-server ${config.version}${config.dev ? ' (--dev)' : ''}` : '';
    if (config.dev && config.api_key) {
      apiKey = config.api_key;
    } else {
      apiKey = localStorage.getItem(KEY_STORAGE) ?? '';
    }
    ui.forgetKey.hidden = config.dev || !apiKey;
    if (!apiKey) {
      ui.keyPanel.hidden = false;
      return;
    }
    await loadAgents();
    const shown = new URLSearchParams(location.hash.slice(1)).get('conversation');
    if (shown) await showTranscript(shown);
  }

  ui.keyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    apiKey = ui.keyInput.value.trim();
    ui.keyInput.value = '';
    try {
      await loadAgents();
      localStorage.setItem(KEY_STORAGE, apiKey);
      ui.keyPanel.hidden = true;
      ui.forgetKey.hidden = false;
    } catch (e) {
      apiKey = '';
      showError(e.status === 401 ? 'That key was refused.' : e.message);
    }
  });

  ui.forgetKey.addEventListener('click', () => {
    localStorage.removeItem(KEY_STORAGE);
    apiKey = '';
    location.reload();
  });

  // --- agents ----------------------------------------------------------------

  async function loadAgents() {
    const { agents } = await api('GET', '/v1/agents');
    agentList = agents;
    ui.agents.replaceChildren(
      ...agents.map((a) => {
        const option = document.createElement('option');
        option.value = a.id;
        option.textContent = a.name ? `${a.name} (${a.id})` : a.id;
        return option;
      }),
    );
    const wanted = new URLSearchParams(location.search).get('agent');
    if (wanted && agents.some((a) => a.id === wanted)) ui.agents.value = wanted;
    ui.agents.disabled = agents.length === 0;
    ui.talk.disabled = agents.length === 0;
    if (agents.length === 0) showError('No agents yet: create one with POST /v1/agents.');
    describeAgent();
  }

  function describeAgent() {
    const agent = agentList.find((a) => a.id === ui.agents.value);
    ui.description.textContent = agent?.description ?? '';
  }
  ui.agents.addEventListener('change', describeAgent);

  // --- the call --------------------------------------------------------------

  // A server bound to every interface names itself localhost in the call's
  // URL: the browser reaches it where it loaded the page (and the page's
  // Content-Security-Policy allows only that, or --public-url).
  function signalUrl(url) {
    const parsed = new URL(url);
    if (['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)) {
      parsed.host = location.host;
      parsed.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    }
    return parsed.toString();
  }

  function isAgent(participant) {
    return participant.isAgent || participant.identity.startsWith('agent-');
  }

  function setState(state) {
    ui.state.textContent = state;
    ui.state.dataset.state = state;
  }

  function setInCall(inCall) {
    ui.talk.disabled = inCall || agentList.length === 0;
    ui.agents.disabled = inCall;
    ui.hangup.disabled = !inCall;
    ui.chatInput.disabled = !inCall;
    ui.chatSend.disabled = !inCall;
  }

  ui.talk.addEventListener('click', async () => {
    showError('');
    ui.captions.replaceChildren();
    ui.transcriptPanel.hidden = true;
    const agentId = ui.agents.value;
    const startedAt = performance.now();
    delete ui.callStatus.dataset.agentJoinedMs;
    setInCall(true);
    setState('connecting');
    ui.callStatus.textContent = 'starting the call';
    try {
      const started = await api('POST', `/v1/agents/${encodeURIComponent(agentId)}/test`, {});
      const room = new Room({ adaptiveStream: false, dynacast: false });
      call = { room, conversationId: started.conversation_id, agentSeen: false, levelTimer: 0, audioContext: null, startedAt };
      // An AudioContext made in the click may play and analyse sound.
      call.audioContext = new AudioContext();
      watchRoom(room);
      await room.connect(signalUrl(started.url), started.token);
      if (!call.agentSeen) ui.callStatus.textContent = `in call ${started.conversation_id}; waiting for the agent`;
      setState(room.remoteParticipants.size ? ui.state.dataset.state : 'waiting for the agent');
      for (const participant of room.remoteParticipants.values()) onParticipant(participant);
      await room.localParticipant.setMicrophoneEnabled(true);
    } catch (e) {
      showError(e.message);
      await endCall('the call could not start');
    }
  });

  ui.hangup.addEventListener('click', () => endCall('you hung up'));

  function watchRoom(room) {
    room.on(RoomEvent.ParticipantConnected, onParticipant);
    room.on(RoomEvent.ParticipantAttributesChanged, (changed, participant) => {
      if (isAgent(participant) && changed['lk.agent.state']) setState(changed['lk.agent.state']);
    });
    room.on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (isAgent(participant)) onAgentLeft(room);
    });
    room.on(RoomEvent.TrackSubscribed, (track, _publication, participant) => {
      if (track.kind !== Track.Kind.Audio || !isAgent(participant)) return;
      const element = track.attach();
      ui.audio.appendChild(element);
      meterAgentAudio(track.mediaStreamTrack);
    });
    room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((element) => element.remove()));
    room.on(RoomEvent.Disconnected, () => {
      if (call?.room === room) endCall('disconnected');
    });
    room.registerTextStreamHandler('lk.transcription', (reader, sender) => showCaption(reader, sender.identity));
  }

  function onParticipant(participant) {
    if (!isAgent(participant) || !call) return;
    if (!call.agentSeen) {
      // From Talk to the agent in the room: what the caller waits before anything can happen.
      const joinedMs = Math.round(performance.now() - call.startedAt);
      ui.callStatus.dataset.agentJoinedMs = String(joinedMs);
      ui.callStatus.textContent = `in call ${call.conversationId}; the agent joined after ${joinedMs} ms`;
    }
    call.agentSeen = true;
    setState(participant.attributes['lk.agent.state'] ?? 'connecting');
  }

  // An agent that ends the call leaves after marking the conversation ended;
  // one whose worker died leaves it in progress, and the job is given to
  // another worker, whose agent joins in a few seconds.
  async function onAgentLeft(room) {
    const current = call;
    if (!current || current.room !== room) return;
    let status = 'in_progress';
    for (let attempt = 0; attempt < 8 && status === 'in_progress'; attempt++) {
      try {
        status = (await api('GET', `/v1/conversations/${encodeURIComponent(current.conversationId)}`)).status;
      } catch {
        break;
      }
      if (status === 'in_progress') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (call !== current) return;
    const agentHere = [...room.remoteParticipants.values()].some(isAgent);
    if (status !== 'in_progress') return endCall('the agent ended the call');
    if (agentHere) return;
    setState('reconnecting');
    ui.callStatus.textContent = 'the agent dropped out; waiting for it to come back';
    setTimeout(() => {
      if (call === current && ![...room.remoteParticipants.values()].some(isAgent)) endCall('the agent did not come back');
    }, 20000);
  }

  // The agent's voice level, for the eye (and for tests: data-level, data-peak).
  function meterAgentAudio(mediaStreamTrack) {
    const context = call.audioContext;
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(new MediaStream([mediaStreamTrack])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    clearInterval(call.levelTimer);
    call.levelTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const x of samples) sum += x * x;
      const rms = Math.sqrt(sum / samples.length);
      ui.level.value = Math.min(1, rms * 4);
      ui.level.dataset.level = rms.toFixed(4);
      if (rms > Number(ui.level.dataset.peak)) ui.level.dataset.peak = rms.toFixed(4);
    }, 50);
  }

  // Captions, merged by lk.segment_id as LiveKit's front ends do: an agent's
  // reply is one stream of deltas; each interim or final of the user's speech
  // is a whole stream of its own with the segment's id.
  async function showCaption(reader, identity) {
    const attributes = reader.info.attributes ?? {};
    const segment = attributes['lk.segment_id'] ?? reader.info.id;
    const mine = identity === call?.room.localParticipant.identity;
    const item = captionItem(segment, mine ? 'user' : 'agent');
    let text = '';
    for await (const chunk of reader) {
      text += chunk;
      item.querySelector('.text').textContent = text;
    }
    item.dataset.final = reader.info.attributes?.['lk.transcription_final'] === 'true' || !mine ? 'true' : 'false';
  }

  function captionItem(segment, who) {
    let item = ui.captions.querySelector(`li[data-segment="${CSS.escape(segment)}"]`);
    if (item) return item;
    item = document.createElement('li');
    item.dataset.segment = segment;
    item.dataset.who = who;
    item.dataset.final = 'false';
    const label = document.createElement('span');
    label.className = 'who';
    label.textContent = who === 'user' ? 'You' : 'Agent';
    const text = document.createElement('span');
    text.className = 'text';
    item.append(label, text);
    ui.captions.appendChild(item);
    item.scrollIntoView({ block: 'nearest' });
    return item;
  }

  ui.chatForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = ui.chatInput.value.trim();
    if (!text || !call) return;
    ui.chatInput.value = '';
    const item = captionItem(`chat-${Date.now()}`, 'user');
    item.dataset.typed = 'true';
    item.dataset.final = 'true';
    item.querySelector('.text').textContent = text;
    try {
      await call.room.localParticipant.sendText(text, { topic: 'lk.chat' });
    } catch (e) {
      showError(`the message was not sent: ${e.message}`);
    }
  });

  async function endCall(why) {
    const ending = call;
    if (!ending) return;
    call = null;
    clearInterval(ending.levelTimer);
    setInCall(false);
    setState('not connected');
    ui.level.value = 0;
    ui.callStatus.textContent = `call ended: ${why}`;
    await ending.room.disconnect();
    ending.audioContext?.close();
    ui.audio.replaceChildren();
    if (ending.conversationId) await showTranscript(ending.conversationId);
  }

  // --- the stored transcript --------------------------------------------------

  const LATENCIES = ['voice_to_voice', 'endpointing', 'stt', 'llm_first_token', 'tts_first_audio', 'transport'];

  async function showTranscript(conversationId) {
    // The worker posts its last turns as the call ends: give it a moment.
    let conversation;
    let turns = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        conversation = await api('GET', `/v1/conversations/${encodeURIComponent(conversationId)}`);
        turns = (await api('GET', `/v1/conversations/${encodeURIComponent(conversationId)}/turns`)).turns;
      } catch (e) {
        showError(e.message);
        return;
      }
      if (conversation.status !== 'in_progress' && conversation.status !== 'queued') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    ui.transcriptPanel.hidden = false;
    ui.transcriptPanel.dataset.conversation = conversationId;
    ui.transcriptPanel.dataset.status = conversation.status;
    ui.transcriptLink.href = `#conversation=${encodeURIComponent(conversationId)}`;
    const results = conversation.results && Object.keys(conversation.results).length ? ` Results: ${JSON.stringify(conversation.results)}.` : '';
    ui.transcriptSummary.textContent =
      `Conversation ${conversationId}: ${conversation.status}` +
      (conversation.end_reason ? ` (${conversation.end_reason})` : '') +
      (conversation.duration_seconds != null ? `, ${conversation.duration_seconds} s` : '') +
      `, ${turns.length} turns.${results}`;
    ui.transcriptBody.replaceChildren(
      ...turns.map((turn, i) => {
        const row = document.createElement('tr');
        row.dataset.role = turn.role;
        const cells = [
          String(i + 1),
          turn.role,
          turn.redacted ? '(not stored: the agent does not log transcripts)' : turn.text,
          turn.interrupted ? 'yes' : '',
          ...LATENCIES.map((name) => (turn.latency_ms?.[name] == null ? '' : String(turn.latency_ms[name]))),
        ];
        row.replaceChildren(
          ...cells.map((value) => {
            const cell = document.createElement('td');
            cell.textContent = value;
            return cell;
          }),
        );
        return row;
      }),
    );
  }

  start().catch((e) => showError(e.message));
})();
