// What every setup step works with.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';
import type { HostProvider, LinuxArch } from '../host/provider.ts';
import { remoteSha256, sha256File } from '../host/remote-files.ts';
import type { FetchFn } from './download.ts';
import { ProvisionError } from './errors.ts';
import type { SetupState } from './state.ts';

export interface SetupOptions {
  /**
   * Replaces the pinned kernel sha256 (KERNEL_SHA256) for code that calls runSetup itself: the
   * tests, whose mirror serves a generated kernel. No CLI flag or variable reaches it.
   */
  kernelSha256?: Partial<Record<LinuxArch, string>>;
  /** Use these files instead of downloading or building. */
  firecrackerBin?: string;
  kernel?: string;
  rootfs?: string;
  /** Mirror base replacing every download host. */
  assetsUrl?: string;
  /** Rebuild and reinstall assets and the agent even when they look done. */
  force?: boolean;
}

export interface SetupContext {
  provider: HostProvider;
  paths: FcMacosPaths;
  options: SetupOptions;
  /** The fc-agent.mjs bundle to install. */
  agentBundle: string;
  state: SetupState;
  fetch: FetchFn;
  /** How long to wait for the agent to answer after (re)starting it. */
  agentTimeoutMs: number;
  saveState(): Promise<void>;
}

const archCache = new WeakMap<HostProvider, LinuxArch>();

export async function linuxArch(ctx: SetupContext): Promise<LinuxArch> {
  const known = archCache.get(ctx.provider);
  if (known) return known;
  const arch = await ctx.provider.arch();
  archCache.set(ctx.provider, arch);
  return arch;
}

/** A fresh scratch dir path on the Linux side (inside the agent dir, never a shared /tmp). */
export function remoteScratch(ctx: SetupContext, what: string): string {
  return join(ctx.provider.layout.tmpDir, `${what}-${randomBytes(6).toString('hex')}`);
}

export async function removeRemote(ctx: SetupContext, path: string): Promise<void> {
  await ctx.provider.exec(['rm', '-rf', path], { root: ctx.provider.agentDirNeedsRoot });
}

const FLAG_OF: Record<string, string> = {
  firecracker: '--firecracker-bin',
  kernel: '--kernel',
  rootfs: '--rootfs',
};

/**
 * The source id of a user-given file: its sha256. A remembered file that is gone since counts as
 * what was installed from it (nothing to redo); it is needed again only to reinstall.
 */
export async function fileSource(ctx: SetupContext, key: string, path: string): Promise<string> {
  if (existsSync(path)) return `file:${await sha256File(path)}`;
  const rec = ctx.state.installed[key];
  if (rec?.source.startsWith('file:') && ctx.state.options[optionKey(key)] === path) return rec.source;
  const flag = FLAG_OF[key] ?? key;
  throw new ProvisionError(
    'asset_invalid',
    `${path}, given earlier with ${flag}, is gone`,
    `give it again (\`fc-macos setup ${flag} FILE\`), or forget it with \`fc-macos setup --reset\``,
  );
}

function optionKey(key: string): 'firecracker_bin' | 'kernel' | 'rootfs' {
  return key === 'firecracker' ? 'firecracker_bin' : (key as 'kernel' | 'rootfs');
}

const remoteSha256OnLinux = (ctx: SetupContext, path: string) =>
  remoteSha256((a, o) => ctx.provider.exec(a, o), path, ctx.provider.agentDirNeedsRoot);

/** Whether `key` was installed from `source` and the file on the Linux side is unchanged since. */
export async function installedMatches(
  ctx: SetupContext,
  key: string,
  source: string,
  remotePath: string,
): Promise<boolean> {
  const rec = ctx.state.installed[key];
  if (!rec || rec.source !== source) return false;
  const sha = await remoteSha256OnLinux(ctx, remotePath);
  return sha === rec.sha256;
}

export async function recordInstalled(
  ctx: SetupContext,
  key: string,
  source: string,
  remotePath: string,
  version?: string,
): Promise<void> {
  const sha = await remoteSha256OnLinux(ctx, remotePath);
  if (!sha) throw new Error(`${remotePath} is missing on the Linux side right after installing it`);
  ctx.state.installed[key] = {
    source,
    sha256: sha,
    ...(version ? { version } : {}),
    at: new Date().toISOString(),
  };
  await ctx.saveState();
}
