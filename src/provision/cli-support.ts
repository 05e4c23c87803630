// Shared by the setup/doctor/uninstall/vm commands: the resolved config and the provider for it,
// with the agent dir that setup recorded.
import { loadConfig, type ResolvedConfig } from '../config/config.ts';
import { type FcMacosPaths, fcMacosPaths } from '../config/paths.ts';
import { createProvider } from '../host/index.ts';
import type { HostProvider } from '../host/provider.ts';
import { readSetupState } from './state.ts';

export interface CliTarget {
  paths: FcMacosPaths;
  config: ResolvedConfig;
  provider: HostProvider;
}

export async function cliTarget(overrides: Partial<ResolvedConfig> = {}): Promise<CliTarget> {
  const paths = fcMacosPaths();
  const config = { ...(await loadConfig(paths)), ...overrides };
  const state = await readSetupState(paths);
  const recordedAgentDir = state?.provider === config.provider ? state.agent_dir : undefined;
  return { paths, config, provider: createProvider(config, { paths, recordedAgentDir }) };
}
