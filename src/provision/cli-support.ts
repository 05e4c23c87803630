// Shared by the setup/doctor/uninstall/vm commands: the resolved config and the provider for it,
// with the agent dir that setup recorded.
import type { Command } from 'commander';
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
  const env = { ...process.env };
  if (!env.FC_MACOS_AGENT_DIR && state?.provider === 'local' && config.provider === 'local') {
    env.FC_MACOS_AGENT_DIR = state.agent_dir;
  }
  return { paths, config, provider: createProvider(config, { paths, env }) };
}

export function wantsJson(cmd: Command): boolean {
  return Boolean((cmd.optsWithGlobals() as { json?: boolean }).json);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Prints an error (with its fix) the way every command does (docs/cli-json.md): the sentence on
 * stderr, and in JSON mode `{"error": {code, message}}` on stdout too. Returns the exit code.
 */
export function reportError(err: unknown, json: boolean, exitCode = 1): number {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  if (json) printJson({ error: { code: typeof code === 'string' ? code : 'internal', message } });
  process.stderr.write(`fc-macos: ${message}\n`);
  return exitCode;
}
