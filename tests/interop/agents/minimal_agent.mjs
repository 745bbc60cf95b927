// The minimal @livekit/agents worker of PROTOCOL-agents.md §6.2, unmodified:
// it registers at /agent and, for each job, connects to the job's room.
import { cli, defineAgent, ServerOptions } from '@livekit/agents';
import { fileURLToPath } from 'node:url';

export default defineAgent({
  entry: async (ctx) => {
    await ctx.connect();
    console.log('joined', ctx.room.name, ctx.job.id);
  },
});

cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url), agentName: process.env.AGENT_NAME || '' }));
