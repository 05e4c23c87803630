// Where the agent is and how to reach it: --agent-url / FC_MACOS_AGENT_URL and FC_MACOS_TOKEN
// override; otherwise the host provider of the user's config says where (Tart VM's IP, or
// localhost), and the token comes from the config dir.
import { AgentClient } from '../client/agent-client.ts';
import { fcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import { cliTarget } from '../provision/cli-support.ts';
import { UsageError } from './errors.ts';

export interface AgentLocation {
  url: string;
  token: string | null;
  /** What fixes an agent that does not answer. */
  unreachableHint: string;
  /** What fixes a refused token. */
  authHint: string;
}

export interface AgentFlags {
  agentUrl?: string;
}

/** Validates an agent URL given on the command line or in the environment. */
export function parseAgentUrl(value: string, from: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(
      `${from} ${JSON.stringify(value)} is not a URL: give one like http://127.0.0.1:8080`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`${from} ${JSON.stringify(value)} must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The agent URL from the host provider (Tart: the VM's IP; local: 127.0.0.1), and what fixes it
 * when it does not answer. The one place that asks the provider.
 */
async function agentUrlFromProvider(): Promise<{ url: string; hint: string }> {
  const { provider } = await cliTarget();
  // Tart: the VM (and with it the agent) is usually just stopped. Local: the agent daemon stopped,
  // unless this host was never set up.
  const hint =
    provider.name === 'tart'
      ? 'run `fc-macos vm start`'
      : 'run `fc-macos vm start` to start it (or `fc-macos setup` if this host was never set up)';
  return { url: await provider.agentUrl(), hint };
}

export async function locateAgent(
  flags: AgentFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentLocation> {
  const paths = fcMacosPaths(env);
  const token = await readToken(paths, env);
  const authHint = env.FC_MACOS_TOKEN
    ? 'check FC_MACOS_TOKEN, or unset it to use the token that `fc-macos setup` wrote'
    : token === null
      ? `no token at ${paths.tokenFile}: run \`fc-macos setup\` to write it`
      : 'run `fc-macos setup` to re-write the token';
  const explicit = flags.agentUrl
    ? parseAgentUrl(flags.agentUrl, '--agent-url')
    : env.FC_MACOS_AGENT_URL
      ? parseAgentUrl(env.FC_MACOS_AGENT_URL, 'FC_MACOS_AGENT_URL')
      : null;
  if (explicit) {
    const from = flags.agentUrl ? '--agent-url' : 'FC_MACOS_AGENT_URL';
    return {
      url: explicit,
      token,
      unreachableHint: `check ${from}, or start the agent with \`fc-macos vm start\``,
      authHint,
    };
  }
  const { url, hint } = await agentUrlFromProvider();
  return { url, token, unreachableHint: hint, authHint };
}

export async function connectAgent(
  flags: AgentFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentClient> {
  const loc = await locateAgent(flags, env);
  return new AgentClient({
    baseUrl: loc.url,
    token: loc.token ?? undefined,
    unreachableHint: loc.unreachableHint,
    authHint: loc.authHint,
  });
}
