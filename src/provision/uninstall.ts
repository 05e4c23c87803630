// fc-macos uninstall: undoes what setup made. microVMs are killed first (the agent's API, then any
// firecracker still running from the agent's dir), then the agent, its files, the token, the
// asset cache and the setup state; for Tart the VM is stopped and deleted.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentClient } from '../client/agent-client.ts';
import { readConfigFile, writeConfigFile } from '../config/config.ts';
import type { FcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import type { HostProvider } from '../host/provider.ts';
import { assetsDir } from './manifest.ts';
import { readSetupState, setupStateFile } from './state.ts';

export interface UninstallResult {
  provider: string;
  microvms_stopped: number;
  removed: string[];
}

async function agentClient(provider: HostProvider, paths: FcMacosPaths): Promise<AgentClient> {
  return new AgentClient({
    baseUrl: await provider.agentUrl(),
    token: (await readToken(paths)) ?? undefined,
    timeoutMs: 10_000,
  });
}

/** microVMs the agent knows about, or [] when it does not answer. */
export async function listMicrovms(
  provider: HostProvider,
  paths: FcMacosPaths,
): Promise<Array<{ id: string; state: string }>> {
  try {
    return await (await agentClient(provider, paths)).listMicrovms();
  } catch {
    return [];
  }
}

/**
 * Kills firecracker processes started from the agent's dir (local provider: they outlive the
 * agent): a path under it on their command line, or a firecracker working in a directory under it
 * (a spare firecracker is given its paths relative to its directory).
 */
function killLeftoverFirecrackers(agentDir: string): number {
  let n = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const inside = (p: string): boolean => p.startsWith(`${agentDir}/`);
      const cwd = (): string => {
        try {
          return readlinkSync(`/proc/${pid}/cwd`);
        } catch {
          return '';
        }
      };
      const firecracker = argv.includes('--api-sock');
      if ((argv.some(inside) || (firecracker && inside(cwd()))) && Number(pid) !== process.pid) {
        process.kill(Number(pid), 'SIGKILL');
        n++;
      }
    } catch {}
  }
  return n;
}

/** Removes path when it exists; says whether it did. */
async function remove(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  await rm(path, { recursive: true, force: true });
  return true;
}

/** Removes dir if it is empty (setup created it; the user's own files in it stay). */
async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    if (readdirSync(dir).length > 0) return false;
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

/** The agent's bridge, taps, nftables tables; IP forwarding back as it was (local provider). */
async function removeAgentNetwork(provider: HostProvider, removed: string[]): Promise<void> {
  const node = await provider.findNode().catch(() => null);
  if (!node) return;
  const argv = [
    node.path,
    provider.layout.agentBundle,
    '--uninstall-network',
    '--state-dir',
    provider.layout.agentDir,
  ];
  const res = await provider.exec(argv, { root: true }).catch(() => null);
  if (res && res.exitCode === 0) {
    for (const line of res.stdout.split('\n')) if (line.startsWith('removed ')) removed.push(line.slice(8));
  }
}

export async function runUninstall(provider: HostProvider, paths: FcMacosPaths): Promise<UninstallResult> {
  const removed: string[] = [];
  const state = await readSetupState(paths);
  const vms = await listMicrovms(provider, paths);
  const live = vms.filter((v) => !['stopped', 'exited'].includes(v.state));
  const host = await provider.status().catch(() => null);
  if (provider.vm) {
    // Deleting the VM ends everything inside it.
    if (host && host.state !== 'missing') {
      await provider.delete();
      removed.push(`Tart VM ${host.name}`);
    }
  } else {
    const client = await agentClient(provider, paths);
    for (const vm of live) await client.kill(vm.id).catch(() => undefined);
    await removeAgentNetwork(provider, removed);
    await provider.removeAgent();
    killLeftoverFirecrackers(provider.layout.agentDir);
    const existed = existsSync(provider.layout.agentDir);
    await provider.delete();
    if (existed && !existsSync(provider.layout.agentDir)) removed.push(provider.layout.agentDir);
  }
  if (await remove(paths.tokenFile)) removed.push(paths.tokenFile);
  if (await remove(assetsDir(paths))) removed.push(assetsDir(paths));
  if (await remove(join(paths.stateDir, 'tart'))) removed.push(join(paths.stateDir, 'tart'));
  // config.yaml: only the keys setup added (all of them when setup never recorded any: a setup
  // that failed before its state was written left nothing else there).
  if (existsSync(paths.configFile)) {
    const cfg = await readConfigFile(paths);
    const keys = state?.config_keys ?? [];
    for (const k of keys) delete (cfg as Record<string, unknown>)[k];
    if (Object.keys(cfg).length === 0) {
      await rm(paths.configFile, { force: true });
      removed.push(paths.configFile);
    } else if (keys.length > 0) await writeConfigFile(cfg, paths);
  }
  if (await remove(setupStateFile(paths))) removed.push(setupStateFile(paths));
  for (const dir of [paths.configDir, paths.stateDir]) if (await removeIfEmpty(dir)) removed.push(dir);
  return { provider: provider.name, microvms_stopped: live.length, removed };
}
