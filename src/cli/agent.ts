// How the CLI's commands reach the agent (agent-location.ts), with the host provider to ask when
// no address is remembered. The host layer (config, YAML, Tart's CLI) loads only when it is asked.
import type { AgentClient } from '../client/agent-client.ts';
import type { FcMacosPaths } from '../config/paths.ts';
import { type AgentAddress, rememberAddress } from './agent-address.ts';
import {
  type AgentFlags,
  type AgentLocation,
  clientAt,
  locateAgent as locateWith,
} from './agent-location.ts';

export { type AgentFlags, type AgentLocation, parseAgentUrl } from './agent-location.ts';

/**
 * The agent URL from the host provider (Tart: the VM's IP; local: 127.0.0.1), and what fixes it
 * when it does not answer. The one place that asks the provider.
 */
async function addressFromProvider(paths: FcMacosPaths): Promise<AgentAddress> {
  const { cliTarget } = await import('../provision/cli-support.ts');
  const { provider } = await cliTarget();
  const address = { url: await provider.agentUrl(), hint: provider.text.agentDownFix };
  await rememberAddress(paths, address);
  return address;
}

export function locateAgent(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env): Promise<AgentLocation> {
  return locateWith(flags, env, addressFromProvider);
}

export async function connectAgent(
  flags: AgentFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentClient> {
  return clientAt(await locateAgent(flags, env));
}
