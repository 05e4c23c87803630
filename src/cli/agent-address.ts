// The agent's address, cached in the config dir (agent-address.json, 0600) so that a command does
// not ask the host provider every time (on a Mac that spawns `tart` to learn the VM's IP). The
// cache is keyed by config.yaml (its mtime and size: a changed provider, VM or port re-asks); a
// call that cannot reach the cached address asks the provider again (AgentClientOptions.relocate),
// and `vm start|stop`, setup and uninstall forget it.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';
import { writePrivateFile } from '../config/private-file.ts';

export interface AgentAddress {
  url: string;
  /** What fixes an agent that does not answer (from the provider). */
  hint: string;
}

interface CacheFile extends AgentAddress {
  /** config.yaml's mtime and size when the address was learnt ("none": no config file). */
  config: string;
}

export function addressFile(paths: FcMacosPaths): string {
  return join(paths.configDir, 'agent-address.json');
}

// Synchronous stat and read: every command that talks to the agent starts here, and fs/promises
// is more to load than these few bytes cost to read.
async function configStamp(paths: FcMacosPaths): Promise<string> {
  try {
    const st = statSync(paths.configFile);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'none';
  }
}

/** The cached address, or null when there is none or config.yaml changed since. */
export async function cachedAddress(paths: FcMacosPaths): Promise<AgentAddress | null> {
  let parsed: Partial<CacheFile>;
  try {
    parsed = JSON.parse(readFileSync(addressFile(paths), 'utf8')) as Partial<CacheFile>;
  } catch {
    return null;
  }
  if (typeof parsed.url !== 'string' || typeof parsed.hint !== 'string') return null;
  if (!/^https?:\/\//.test(parsed.url)) return null;
  if (parsed.config !== (await configStamp(paths))) return null;
  return { url: parsed.url, hint: parsed.hint };
}

export async function rememberAddress(paths: FcMacosPaths, address: AgentAddress): Promise<void> {
  const file: CacheFile = { url: address.url, hint: address.hint, config: await configStamp(paths) };
  try {
    // Setup makes the config dir; a host never set up gets no file from a read-only command.
    if (!statSync(paths.configDir).isDirectory()) return;
    await writePrivateFile(addressFile(paths), `${JSON.stringify(file)}\n`);
  } catch {
    // Only a cache: a read-only config dir costs the next command a provider query, nothing more.
  }
}

export async function forgetAddress(paths: FcMacosPaths): Promise<void> {
  rmSync(addressFile(paths), { force: true });
}
