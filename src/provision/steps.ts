// The setup steps, in order. Each check() looks at the real state of the Linux side (and the
// recorded sha256 of what was installed), so a done step is a no-op on the next run.
import { join } from 'node:path';
import { type VersionResponse, versionResponse } from '../api/schemas.ts';
import { generateToken, readToken, writeToken } from '../config/token.ts';
import { ExecError, KvmError } from '../host/errors.ts';
import { sha256Bytes, sha256File, writeRemoteFile } from '../host/remote-files.ts';
import {
  ALPINE_VERSION,
  assetSet,
  FIRECRACKER_VERSION,
  firecrackerTarballMembers,
  KERNEL_CI_VERSION,
  KERNEL_VERSION,
  ROOTFS_SIZE,
} from './assets.ts';
import {
  fileSource,
  installedMatches,
  linuxArch,
  recordInstalled,
  remoteScratch,
  removeRemote,
  type SetupContext,
} from './context.ts';
import { ProvisionError } from './errors.ts';
import { fetchVerified } from './fetch-verified.ts';
import { readManifest } from './manifest.ts';
import { buildRootfsArgv } from './rootfs/build.ts';
import { INIT_SCRIPT } from './rootfs/init.ts';
import type { Progress, Step } from './runner.ts';

export const MIN_AGENT_NODE_MAJOR = 18;

function hostStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  return {
    id: 'host',
    title: p.text.hostStep,
    check: () => p.hostReady(),
    async run(progress) {
      progress(p.text.hostStarting);
      await p.ensureRunning();
    },
  };
}

function kvmStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  return {
    id: 'kvm',
    title: '/dev/kvm on the Linux side',
    async check() {
      return (await p.checkKvm()).ok;
    },
    async run(progress) {
      await p.prepareKvm(progress);
      const kvm = await p.checkKvm();
      if (!kvm.ok) throw new KvmError(kvm.detail, kvm.fix);
    },
  };
}

function nodeMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '', 10) || 0;
}

function nodeStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  return {
    id: 'node',
    title: `Node.js >= ${MIN_AGENT_NODE_MAJOR} for the agent`,
    async check() {
      const node = await p.findNode();
      return node !== null && nodeMajor(node.version) >= MIN_AGENT_NODE_MAJOR;
    },
    async run(progress) {
      progress('sudo apt-get install -y nodejs');
      await p.installNode();
      const node = await p.findNode();
      if (!node || nodeMajor(node.version) < MIN_AGENT_NODE_MAJOR) {
        throw new ProvisionError(
          'node_missing',
          node
            ? `Node.js ${node.version} at ${node.path} is too old for fc-agent (needs ${MIN_AGENT_NODE_MAJOR}+)`
            : 'Node.js is still missing after apt-get install nodejs',
          'install Node.js 18 or later on the Linux side (e.g. from https://github.com/nodesource/distributions), then re-run fc-macos setup',
        );
      }
    },
  };
}

async function firecrackerSource(ctx: SetupContext): Promise<string> {
  return ctx.options.firecrackerBin
    ? fileSource(ctx.options.firecrackerBin)
    : `release:${FIRECRACKER_VERSION}:${await linuxArch(ctx)}`;
}

const INSTALL_FIRECRACKER_SCRIPT = `set -eu
tarball=$1; dir=$2; fc=$3; jailer=$4; bin=$5
mkdir -p "$dir" "$bin"
tar -xzf "$tarball" -C "$dir"
if [ ! -f "$dir/$fc" ]; then echo "$fc is not in the release tarball" >&2; exit 1; fi
install -m 0755 "$dir/$fc" "$bin/.firecracker.new"
mv -f "$bin/.firecracker.new" "$bin/firecracker"
if [ -f "$dir/$jailer" ]; then
  install -m 0755 "$dir/$jailer" "$bin/.jailer.new"
  mv -f "$bin/.jailer.new" "$bin/jailer"
fi
`;

function firecrackerStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  return {
    id: 'firecracker',
    title: ctx.options.firecrackerBin ? 'Firecracker (given binary)' : `Firecracker ${FIRECRACKER_VERSION}`,
    forceable: true,
    async check() {
      return installedMatches(ctx, 'firecracker', await firecrackerSource(ctx), layout.firecrackerBin);
    },
    async run(progress) {
      const source = await firecrackerSource(ctx);
      if (ctx.options.firecrackerBin) {
        progress(`copying ${ctx.options.firecrackerBin}`);
        await p.copyIn(ctx.options.firecrackerBin, layout.firecrackerBin, { mode: 0o755, root });
      } else {
        const arch = await linuxArch(ctx);
        const spec = assetSet(arch, ctx.options.assetsUrl).firecracker;
        const tarball = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
        const scratch = remoteScratch(ctx, 'firecracker');
        try {
          progress('installing');
          await p.copyIn(tarball, join(scratch, spec.fileName), { mode: 0o600, root });
          const members = firecrackerTarballMembers(arch);
          const argv = [
            'sh',
            '-c',
            INSTALL_FIRECRACKER_SCRIPT,
            'fc-macos-install',
            join(scratch, spec.fileName),
            join(scratch, 'x'),
            members.firecracker,
            members.jailer,
            layout.binDir,
          ];
          const res = await p.exec(argv, { root, timeoutMs: 120_000 });
          if (res.exitCode !== 0)
            throw new ExecError(argv.slice(0, 2), res.exitCode, res.stderr, 'installing Firecracker');
        } finally {
          await removeRemote(ctx, scratch);
        }
      }
      const ver = await p.exec([layout.firecrackerBin, '--version']);
      if (ver.exitCode !== 0) {
        throw new ProvisionError(
          'asset_invalid',
          `${layout.firecrackerBin} --version failed (exit ${ver.exitCode}): ${ver.stderr.trim() || ver.stdout.trim()}`,
          ctx.options.firecrackerBin
            ? 'pass a Firecracker binary built for the Linux side (--firecracker-bin)'
            : 'fc-macos setup --force',
        );
      }
      if (!ctx.options.firecrackerBin && !ver.stdout.includes(FIRECRACKER_VERSION)) {
        throw new ProvisionError(
          'asset_invalid',
          `installed firecracker reports "${ver.stdout.trim()}", expected ${FIRECRACKER_VERSION}`,
          'check the mirror given to --assets-url',
        );
      }
      await recordInstalled(ctx, 'firecracker', source, layout.firecrackerBin);
    },
  };
}

async function kernelSource(ctx: SetupContext): Promise<string> {
  return ctx.options.kernel
    ? fileSource(ctx.options.kernel)
    : `kernel:${KERNEL_CI_VERSION}:${await linuxArch(ctx)}:${KERNEL_VERSION}`;
}

function kernelStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  return {
    id: 'kernel',
    title: ctx.options.kernel ? 'guest kernel (given file)' : `guest kernel ${KERNEL_VERSION}`,
    forceable: true,
    async check() {
      if (!(await installedMatches(ctx, 'kernel', await kernelSource(ctx), layout.kernel))) return false;
      if (ctx.options.kernel) return true;
      // The installed kernel must still be the one pinned at first download.
      const spec = assetSet(await linuxArch(ctx), ctx.options.assetsUrl).kernel;
      const pinned = (await readManifest(ctx.paths)).assets[spec.id];
      return pinned !== undefined && pinned.sha256 === ctx.state.installed.kernel?.sha256;
    },
    async run(progress) {
      const source = await kernelSource(ctx);
      let local = ctx.options.kernel;
      if (!local) {
        const spec = assetSet(await linuxArch(ctx), ctx.options.assetsUrl).kernel;
        local = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
      }
      progress('installing');
      await p.copyIn(local, layout.kernel, { mode: 0o644, root });
      await recordInstalled(ctx, 'kernel', source, layout.kernel);
    },
  };
}

async function rootfsSource(ctx: SetupContext): Promise<string> {
  return ctx.options.rootfs
    ? fileSource(ctx.options.rootfs)
    : `alpine:${ALPINE_VERSION}:${await linuxArch(ctx)}:init-${sha256Bytes(INIT_SCRIPT).slice(0, 16)}`;
}

function rootfsStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  return {
    id: 'rootfs',
    title: ctx.options.rootfs ? 'rootfs (given file)' : `default rootfs (Alpine ${ALPINE_VERSION})`,
    forceable: true,
    async check() {
      return installedMatches(ctx, 'rootfs', await rootfsSource(ctx), layout.rootfs);
    },
    async run(progress) {
      const source = await rootfsSource(ctx);
      if (ctx.options.rootfs) {
        progress(`copying ${ctx.options.rootfs}`);
        await p.copyIn(ctx.options.rootfs, layout.rootfs, { mode: 0o644, root });
      } else {
        const spec = assetSet(await linuxArch(ctx), ctx.options.assetsUrl).alpine;
        const tarball = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
        const scratch = remoteScratch(ctx, 'rootfs');
        try {
          progress('building the ext4 image');
          const remoteTarball = join(scratch, spec.fileName);
          const init = join(scratch, 'init');
          await p.copyIn(tarball, remoteTarball, { mode: 0o600, root });
          await writeRemoteFile((a, o) => p.exec(a, o), init, INIT_SCRIPT, { mode: 0o755, root });
          const argv = buildRootfsArgv({
            tarball: remoteTarball,
            init,
            out: layout.rootfs,
            size: ROOTFS_SIZE,
            workDir: join(scratch, 'build'),
          });
          const res = await p.exec(argv, { root, timeoutMs: 300_000 });
          if (res.exitCode !== 0)
            throw new ExecError(argv.slice(0, 2), res.exitCode, res.stderr, 'building the rootfs');
        } finally {
          await removeRemote(ctx, scratch);
        }
      }
      await recordInstalled(ctx, 'rootfs', source, layout.rootfs);
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for GET /health, then checks the token with GET /agent/version. */
export async function waitForAgent(
  ctx: SetupContext,
  token: string,
  progress: Progress,
): Promise<VersionResponse> {
  const url = await ctx.provider.agentUrl();
  progress(`waiting for ${url}/health`);
  const deadline = Date.now() + ctx.agentTimeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await ctx.fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      const logs = await ctx.provider.logs({ lines: 20 }).catch(() => '');
      throw new ProvisionError(
        'agent_unhealthy',
        `fc-agent does not answer at ${url}/health after ${ctx.agentTimeoutMs / 1000}s (${last})${logs ? `\n${logs}` : ''}`,
        'fc-macos vm logs; then fc-macos setup --force',
      );
    }
    await sleep(250);
  }
  const res = await ctx.fetch(`${url}/agent/version`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status === 401) {
    throw new ProvisionError(
      'agent_unhealthy',
      `fc-agent at ${url} rejected the token in ${ctx.paths.tokenFile}`,
      'fc-macos setup --force (writes a new token on both sides)',
    );
  }
  if (!res.ok) {
    throw new ProvisionError(
      'agent_unhealthy',
      `GET ${url}/agent/version: HTTP ${res.status}`,
      'fc-macos vm logs',
    );
  }
  const parsed = versionResponse.safeParse(await res.json());
  if (!parsed.success) {
    throw new ProvisionError(
      'agent_unhealthy',
      `GET ${url}/agent/version answered an unexpected body: ${parsed.error.issues[0]?.message}`,
      'fc-macos setup --force',
    );
  }
  return parsed.data;
}

async function agentSource(ctx: SetupContext): Promise<string> {
  const node = await ctx.provider.findNode();
  return [
    `bundle:${await sha256File(ctx.agentBundle)}`,
    `node:${node?.path ?? '?'}`,
    `listen:${ctx.provider.agentListen()}`,
    `dir:${ctx.provider.layout.agentDir}`,
  ].join('|');
}

function agentStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  return {
    id: 'agent',
    title: 'fc-agent',
    forceable: true,
    async check() {
      if (!(await installedMatches(ctx, 'agent', await agentSource(ctx), layout.agentBundle))) return false;
      const token = await readToken(ctx.paths, {});
      if (!token || !(await p.agentService()).running) return false;
      try {
        await waitForAgent({ ...ctx, agentTimeoutMs: 3000 }, token, () => {});
        return true;
      } catch {
        return false;
      }
    },
    async run(progress) {
      const source = await agentSource(ctx);
      const node = await p.findNode();
      if (!node)
        throw new ProvisionError('node_missing', 'Node.js is missing on the Linux side', 'fc-macos setup');
      progress('copying fc-agent.mjs');
      await p.copyIn(ctx.agentBundle, layout.agentBundle, { mode: 0o755, root });
      let token = ctx.options.force ? null : await readToken(ctx.paths, {});
      if (!token) {
        token = generateToken();
        await writeToken(token, ctx.paths);
      }
      await writeRemoteFile((a, o) => p.exec(a, o), layout.tokenFile, `${token}\n`, { mode: 0o600, root });
      progress(`starting the agent (${p.agentListen()})`);
      await p.installAgent({ node: node.path, listen: p.agentListen(), layout });
      await waitForAgent(ctx, token, progress);
      await recordInstalled(ctx, 'agent', source, layout.agentBundle);
    },
  };
}

export function setupSteps(ctx: SetupContext): Step[] {
  return [hostStep, kvmStep, nodeStep, firecrackerStep, kernelStep, rootfsStep, agentStep].map((f) => f(ctx));
}
