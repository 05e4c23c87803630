// Where the agent is and how to reach it: --agent-url / FC_MACOS_AGENT_URL and FC_MACOS_TOKEN
// override; otherwise the address remembered in agent-address.ts, or, without one, the host
// provider (asked through the function the caller passes: agent.ts loads the host layer for it,
// commands/list-quick.ts does not have it). The token comes from the config dir.
import { AgentClient } from '../client/agent-client.ts';
import { type FcMacosPaths, fcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import { type AgentAddress, cachedAddress, forgetAddress } from './agent-address.ts';
import { UsageError } from './errors.ts';

export interface AgentLocation {
  url: string;
  token: string | null;
  /** What fixes an agent that does not answer. */
  unreachableHint: string;
  /** What fixes a refused token. */
  authHint: string;
  /** Set when url came from the cache: asks the provider again (AgentClientOptions.relocate). */
  relocate?: () => Promise<string>;
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

/** Asks the host provider where the agent is (and remembers the answer). */
export type AskProvider = (paths: FcMacosPaths) => Promise<AgentAddress>;

export async function locateAgent(
  flags: AgentFlags,
  env: NodeJS.ProcessEnv,
  askProvider: AskProvider,
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
  const cached = await cachedAddress(paths);
  if (cached) {
    const relocate = async (): Promise<string> => {
      await forgetAddress(paths);
      return (await askProvider(paths)).url;
    };
    return { url: cached.url, token, unreachableHint: cached.hint, authHint, relocate };
  }
  const { url, hint } = await askProvider(paths);
  return { url, token, unreachableHint: hint, authHint };
}

/** The client for a location: a cached address asks again (relocate) when it does not answer. */
export function clientAt(loc: AgentLocation): AgentClient {
  return new AgentClient({
    baseUrl: loc.url,
    token: loc.token ?? undefined,
    unreachableHint: loc.unreachableHint,
    authHint: loc.authHint,
    relocate: loc.relocate,
  });
}
