// Starts a real fc-agent (dist/fc-agent.mjs) for a benchmark and talks to it over loopback HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import type { Microvm } from '../src/api/schemas.ts';
import { killRecordedFirecrackers } from '../test/support/agent.ts';
import { waitUntil } from '../test/support/proc.ts';
import { agentBin, type Cleanup, killGroup, now, tempDir } from './lib.ts';

export interface BenchAgent {
  pid: number;
  url: string;
  token: string;
  createRunning(name: string): Promise<Microvm>;
  /** POST /agent/microvms with start: false: configured, not booted (state created). */
  createConfigured(name: string): Promise<Microvm>;
  remove(id: string): Promise<void>;
  list(): Promise<Microvm[]>;
  /** Through the agent with fetch (undici), the client the SDK uses. */
  passthroughLatencies(id: string, path: string, n: number): Promise<number[]>;
  /** Through the agent with node:http on one kept-alive connection: the client the direct baseline uses. */
  passthroughLatenciesHttp(id: string, path: string, n: number): Promise<number[]>;
  consoleUrl(id: string): string;
}

export interface AgentOptions {
  /** More fc-agent flags, e.g. --spare-vmms 0. */
  extraArgs?: string[];
  firecracker: string;
  kernel: string;
  rootfs: string;
}

export async function startAgent(cleanup: Cleanup, opts: AgentOptions): Promise<BenchAgent> {
  const dir = await tempDir(cleanup, 'a-');
  const stateDir = join(dir, 'state');
  const tokenFile = join(dir, 'token');
  const token = randomBytes(24).toString('hex');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      agentBin,
      '--listen',
      `127.0.0.1:${port}`,
      '--state-dir',
      stateDir,
      '--token-file',
      tokenFile,
      '--firecracker',
      opts.firecracker,
      '--kernel',
      opts.kernel,
      '--rootfs',
      opts.rootfs,
      // A benchmark must not change the machine's network (bench/net.ts measures networking).
      '--no-network',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // The agent leaves firecracker processes running when it dies: kill them by their pids too.
  const url = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const known = new Map<string, number>();
  cleanup.add(async () => {
    // SIGTERM first: a stopping agent kills its spare firecrackers (they are not in its process
    // group, and a SIGKILLed agent leaves them running); then whatever is left, by its record.
    await killGroup(child, 'SIGTERM').catch(() => killGroup(child));
    for (const pid of known.values()) await killGroup({ pid });
    killRecordedFirecrackers(stateDir);
  });
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`fc-agent exited with ${child.exitCode}: ${stderr}`);
      return (await fetch(`${url}/health`).catch(() => null))?.ok === true;
    },
    'the agent to answer /health',
    20_000,
  );
  if (!child.pid) throw new Error('fc-agent has no pid');

  const agent: BenchAgent = {
    pid: child.pid,
    url,
    token,
    async createRunning(name) {
      const res = await call('POST', '/agent/microvms', {
        name,
        // The agent's defaults (its --kernel and --rootfs): the rootfs is copied and a vsock
        // device added, as the direct baseline does.
        start: true,
      });
      if (!res.ok) throw new Error(`POST /agent/microvms: ${res.status} ${await res.text()}`);
      let vm = (await res.json()) as Microvm;
      if (vm.pid) known.set(vm.id, vm.pid);
      while (vm.state !== 'running') {
        if (vm.state === 'exited' || vm.state === 'stopped') throw new Error(`microVM ${name} ${vm.state}`);
        const r = await call('GET', `/agent/microvms/${vm.id}`);
        vm = (await r.json()) as Microvm;
      }
      return vm;
    },
    async createConfigured(name) {
      const res = await call('POST', '/agent/microvms', {
        name,
        start: false,
      });
      if (!res.ok) throw new Error(`POST /agent/microvms: ${res.status} ${await res.text()}`);
      const vm = (await res.json()) as Microvm;
      if (vm.pid) known.set(vm.id, vm.pid);
      return vm;
    },
    async remove(id) {
      // DELETE kills a live firecracker first.
      const res = await call('DELETE', `/agent/microvms/${id}`);
      await res.arrayBuffer();
      if (!res.ok && res.status !== 404) throw new Error(`DELETE microVM ${id}: ${res.status}`);
      const pid = known.get(id);
      known.delete(id);
      if (pid) await killGroup({ pid });
    },
    async list() {
      const res = await call('GET', '/agent/microvms');
      return ((await res.json()) as { microvms: Microvm[] }).microvms;
    },
    async passthroughLatencies(id, path, n) {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = now();
        const res = await call('GET', `/agent/microvms/${id}/firecracker${path}`);
        await res.arrayBuffer();
        samples.push(now() - t0);
        if (res.status !== 200) throw new Error(`passthrough GET ${path}: ${res.status}`);
      }
      return samples;
    },
    async passthroughLatenciesHttp(id, path, n) {
      const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (target: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = http.request(
            {
              host: '127.0.0.1',
              port,
              path: target,
              headers: { authorization: `Bearer ${token}` },
              agent: keepAlive,
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      const samples: number[] = [];
      try {
        for (let i = 0; i < n; i++) {
          const t0 = now();
          const status = await get(`/agent/microvms/${id}/firecracker${path}`);
          samples.push(now() - t0);
          if (status !== 200) throw new Error(`passthrough GET ${path}: ${status}`);
        }
      } finally {
        keepAlive.destroy();
      }
      return samples;
    },
    consoleUrl(id) {
      return `ws://127.0.0.1:${port}/agent/microvms/${id}/console`;
    },
  };
  return agent;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
