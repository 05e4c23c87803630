// Where the agent is and how to reach it: --agent-url / FC_MACOS_AGENT_URL and FC_MACOS_TOKEN
// override; otherwise the host provider of the user's config says where (Tart VM's IP, or
// localhost), remembered in agent-address.ts, and the token comes from the config dir.
import { AgentClient } from '../client/agent-client.ts';
import { type FcMacosPaths, fcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import { type AgentAddress, cachedAddress, forgetAddress, rememberAddress } from './agent-address.ts';
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

/**
 * The agent URL from the host provider (Tart: the VM's IP; local: 127.0.0.1), and what fixes it
 * when it does not answer. The one place that asks the provider.
 */
async function addressFromProvider(paths: FcMacosPaths): Promise<AgentAddress> {
  // The host layer (config, YAML, Tart's CLI) loads only here: a cached address needs none of it.
  const { cliTarget } = await import('../provision/cli-support.ts');
  const { provider } = await cliTarget();
  const address = { url: await provider.agentUrl(), hint: provider.text.agentDownFix };
  await rememberAddress(paths, address);
  return address;
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
  const cached = await cachedAddress(paths);
  if (cached) {
    const relocate = async (): Promise<string> => {
      await forgetAddress(paths);
      return (await addressFromProvider(paths)).url;
    };
    return { url: cached.url, token, unreachableHint: cached.hint, authHint, relocate };
  }
  const { url, hint } = await addressFromProvider(paths);
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
    relocate: loc.relocate,
  });
}
