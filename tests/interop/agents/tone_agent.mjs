// An unmodified @livekit/agents 1.9.0 worker whose job publishes audio: a
// 440 Hz sine through rtc-node's AudioSource, as a voice agent publishes its
// speech. The test checks that the room's participant hears it.
import { cli, defineAgent, ServerOptions } from '@livekit/agents';
import { AudioFrame, AudioSource, LocalAudioTrack, TrackPublishOptions, TrackSource } from '@livekit/rtc-node';
import { fileURLToPath } from 'node:url';

const RATE = 48000;
const FRAME = RATE / 100;

export default defineAgent({
  entry: async (ctx) => {
    await ctx.connect();
    const source = new AudioSource(RATE, 1);
    const track = LocalAudioTrack.createAudioTrack('agent-voice', source);
    const options = new TrackPublishOptions();
    options.source = TrackSource.SOURCE_MICROPHONE;
    await ctx.room.localParticipant.publishTrack(track, options);
    console.log('publishing', ctx.room.name, ctx.job.id);
    for (let n = 0; ; ) {
      const data = new Int16Array(FRAME);
      for (let i = 0; i < FRAME; i++, n++) data[i] = Math.round(12000 * Math.sin((2 * Math.PI * 440 * n) / RATE));
      await source.captureFrame(new AudioFrame(data, RATE, 1, FRAME));
    }
  },
});

cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: process.env.AGENT_NAME || '' }));
