// fc-macos uninstall: undoes what setup made. microVMs are killed first (the agent's API, then any
// firecracker still running from the agent's dir), then the agent, its files, the token, the
// asset cache and the setup state; for Tart the VM is stopped and deleted.
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfigFile, writeConfigFile } from '../config/config.ts';
import type { FcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import type { HostProvider } from '../host/provider.ts';
import { assetsDir } from './manifest.ts';
import { readSetupState, removeSetupState } from './state.ts';

export interface UninstallResult {
  provider: string;
  microvms_stopped: number;
  removed: string[];
}

/** microVMs the agent knows about, or [] when it does not answer. */
export async function listMicrovms(
  provider: HostProvider,
  paths: FcMacosPaths,
): Promise<Array<{ id: string; state: string }>> {
  try {
    const url = await provider.agentUrl();
    const token = await readToken(paths);
    const res = await fetch(`${url}/agent/microvms`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return [];
    const body = (await res.json()) as { microvms?: Array<{ id: string; state: string }> };
    return body.microvms ?? [];
  } catch {
    return [];
  }
}

/** Kills firecracker processes started from the agent's dir (local provider: they outlive the agent). */
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
      if (argv.some((a) => a.startsWith(`${agentDir}/`)) && Number(pid) !== process.pid) {
        process.kill(Number(pid), 'SIGKILL');
        n++;
      }
    } catch {}
  }
  return n;
}

export async function runUninstall(provider: HostProvider, paths: FcMacosPaths): Promise<UninstallResult> {
  const removed: string[] = [];
  const state = await readSetupState(paths);
  const vms = await listMicrovms(provider, paths);
  const live = vms.filter((v) => !['stopped', 'exited'].includes(v.state));
  if (provider.vm) {
    // Deleting the VM ends everything inside it.
    await provider.delete();
    removed.push(`Tart VM ${provider.vm.name}`);
  } else {
    const url = await provider.agentUrl();
    const token = await readToken(paths);
    for (const vm of live) {
      await fetch(`${url}/agent/microvms/${encodeURIComponent(vm.id)}/kill`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
    }
    await provider.removeAgent();
    killLeftoverFirecrackers(provider.layout.agentDir);
    await provider.delete();
    removed.push(provider.layout.agentDir);
  }
  await rm(paths.tokenFile, { force: true });
  removed.push(paths.tokenFile);
  await rm(assetsDir(paths), { recursive: true, force: true });
  removed.push(assetsDir(paths));
  await rm(join(paths.stateDir, 'tart'), { recursive: true, force: true });
  // config.yaml: only the keys setup added.
  if (state?.config_keys.length) {
    const cfg = await readConfigFile(paths);
    for (const k of state.config_keys) delete (cfg as Record<string, unknown>)[k];
    if (Object.keys(cfg).length === 0) await rm(paths.configFile, { force: true });
    else await writeConfigFile(cfg, paths);
  }
  await removeSetupState(paths);
  return { provider: provider.name, microvms_stopped: live.length, removed };
}
