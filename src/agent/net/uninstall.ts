// fc-agent --uninstall-network: what `fc-macos uninstall` runs on the Linux side after stopping
// the agent: the bridge, the agent's taps and nftables tables go, IP forwarding gets back the
// value it had before the agent first turned it on.
import type { AgentConfig } from '../config.ts';
import { localHost, type NetHost } from './host.ts';
import { parseCidr } from './ipv4.ts';
import { AgentNetwork } from './network.ts';

export async function uninstallNetwork(config: AgentConfig, host: NetHost = localHost): Promise<string[]> {
  const subnet = parseCidr(config.network.subnet);
  if (!subnet) throw new Error(`bad subnet ${config.network.subnet}`);
  return new AgentNetwork(
    { subnet, bridge: config.network.bridge, stateDir: config.stateDir },
    host,
  ).uninstall();
}
