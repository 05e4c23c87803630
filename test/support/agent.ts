// A real fc-agent (dist/fc-agent.mjs) for tests, started on 127.0.0.1 with a free port, a fresh
// state dir and a 0600 token. Used by the agent tests and by the CLI tests; keep it stable.
//
//   const agent = await startAgent();            // firecracker: the double; kernel/rootfs: generated
//   const res = await agent.fetch('/agent/microvms', { method: 'POST', body: '{}' });
//   await agent.kill9(); await agent.restart();  // same state dir, new port (agent.url follows)
//   await agent.stop();                          // SIGTERM, kill every firecracker it started, rm -rf
//
// The agent announces where it listens with a JSON log line on stderr:
// {"msg":"listening","url":"http://127.0.0.1:PORT",...}; startAgent waits for it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killSpareIn, SPARE_VMMS_DIR } from '../../src/agent/lifecycle/spare-vmms.ts';
import { haltLoopElf } from './kernel.ts';
import { relayFromNetns } from './netns.ts';
import { agentBin, doubleBin } from './paths.ts';

export interface StartAgentOptions {
  /** firecracker binary; default the Firecracker double. */
  firecracker?: string;
  /** Default kernel (--kernel); default a generated minimal ELF in the temp dir. */
  kernel?: string;
  /** Default rootfs (--rootfs); default a small file in the temp dir. */
  rootfs?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** Start without auth (--insecure-no-auth); `token` is then ''. */
  insecure?: boolean;
  /** Milliseconds to wait for the "listening" line. Default 20 000. */
  startTimeoutMs?: number;
  /** The node binary that runs the agent bundle; default this test's own node. */
  node?: string;
  /**
   * The agent's default network (bridge, taps, nftables). Default false (--no-network): a test
   * must never change the machine's network; networking tests set it with `netns`.
   */
  network?: boolean;
  /** Run the agent inside this network namespace (ip netns exec NS …), made by the test. */
  netns?: string;
}

export interface AgentFetchInit extends RequestInit {
  /** false: send no Authorization header; a string: send that token instead. */
  auth?: boolean | string;
}

export interface StartedAgent {
  /** http://127.0.0.1:PORT of the running agent (changes after restart()). */
  readonly url: string;
  readonly token: string;
  readonly tokenFile: string;
  /** The temp dir holding everything: state dir, token, images. */
  readonly root: string;
  readonly stateDir: string;
  readonly kernel: string;
  readonly rootfs: string;
  /** pid of the agent process currently running. */
  readonly pid: number;
  /** Everything the agent printed on stderr (JSON log lines), across restarts. */
  stderr(): string;
  /** fetch against the agent with the bearer token (see AgentFetchInit.auth). */
  fetch(path: string, init?: AgentFetchInit): Promise<Response>;
  /** fetch + JSON body; throws when the body is not JSON. */
  json<T = unknown>(path: string, init?: AgentFetchInit): Promise<{ status: number; body: T }>;
  /** SIGTERM and wait for the agent to exit; microVMs keep running. Resolves to its exit code. */
  terminate(): Promise<number | null>;
  /** SIGKILL the agent (microVMs keep running). */
  kill9(): Promise<void>;
  /** Starts the agent again on the same state dir (after terminate() or kill9()). */
  restart(extraArgs?: string[]): Promise<void>;
  /** SIGTERM the agent, SIGKILL every firecracker recorded in state.json, remove the temp dir. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Start time of a pid from /proc/<pid>/stat (field 22), or null when it is gone. */
function starttimeOf(pid: number): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return Number(fields[19]);
  } catch {
    return null;
  }
}

/**
 * SIGKILL every firecracker a state dir's records name, when the pid is still that process, and
 * every spare firecracker (spare-vmms/<id>/spare.json) still working in its spare's directory.
 */
export function killRecordedFirecrackers(stateDir: string): void {
  killSpareFirecrackers(stateDir);
  const dir = join(stateDir, 'microvms');
  let ids: string[];
  try {
    ids = readdirSync(dir);
  } catch {
    return;
  }
  for (const id of ids) {
    try {
      const rec = JSON.parse(readFileSync(join(dir, id, 'state.json'), 'utf8')) as {
        microvm?: { pid?: number | null };
        pid_starttime?: number | null;
      };
      const pid = rec.microvm?.pid;
      if (typeof pid !== 'number') continue;
      const start = starttimeOf(pid);
      if (start !== null && (rec.pid_starttime == null || rec.pid_starttime === start)) {
        process.kill(pid, 'SIGKILL');
      }
    } catch {
      // No record or already gone.
    }
  }
}

function killSpareFirecrackers(stateDir: string): void {
  const root = join(stateDir, SPARE_VMMS_DIR);
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return;
  }
  for (const id of ids) killSpareIn(join(root, id));
}

export async function startAgent(opts: StartAgentOptions = {}): Promise<StartedAgent> {
  const root = await mkdtemp(join(tmpdir(), 'fc-agent-test-'));
  const stateDir = join(root, 'state');
  const tokenFile = join(root, 'token');
  const token = opts.insecure ? '' : `test-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const images = join(root, 'images');
  await mkdir(images, { recursive: true });
  const kernel = opts.kernel ?? join(images, 'vmlinux');
  const rootfs = opts.rootfs ?? join(images, 'rootfs.ext4');
  if (!opts.kernel) await writeFile(kernel, haltLoopElf());
  if (!opts.rootfs) await writeFile(rootfs, Buffer.alloc(64 * 1024));
  if (!opts.insecure) {
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
  }

  const baseArgs = [
    agentBin,
    '--listen',
    '127.0.0.1:0',
    '--state-dir',
    stateDir,
    '--firecracker',
    opts.firecracker ?? doubleBin,
    '--kernel',
    kernel,
    '--rootfs',
    rootfs,
    '--log-level',
    'debug',
    ...(opts.insecure ? ['--insecure-no-auth'] : ['--token-file', tokenFile]),
    ...(opts.network ? [] : ['--no-network']),
  ];
  if (opts.network && !opts.netns)
    throw new Error("startAgent: network needs netns (never the machine's network)");
  let stderrText = '';
  let child: ChildProcess | null = null;
  let url = '';
  let relay: { port: number; close(): void } | null = null;

  const launch = async (extra: string[]): Promise<void> => {
    const node = opts.node ?? process.execPath;
    const argv = [...baseArgs, ...(opts.extraArgs ?? []), ...extra];
    // ip netns exec execs the command: the pid is the agent's own.
    const [file, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, node, ...argv]] : [node, argv];
    const proc = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      // vitest.config.ts sets FC_AGENT_NO_NETWORK=1 for every agent; this one lives in a netns.
      env: { ...process.env, ...(opts.network ? { FC_AGENT_NO_NETWORK: '0' } : {}), ...opts.env },
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => {
        reject(new Error(`fc-agent did not print its listening line within the timeout:\n${stderrText}`));
      }, opts.startTimeoutMs ?? 20_000);
      proc.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stderrText += text;
        buf += text;
        let nl = buf.indexOf('\n');
        while (nl !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
          try {
            const obj = JSON.parse(line) as { msg?: string; url?: string };
            if (obj.msg === 'listening' && typeof obj.url === 'string') {
              clearTimeout(timer);
              resolve(obj.url);
            }
          } catch {
            // Not a JSON line (a startup error message): kept in stderrText.
          }
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`fc-agent exited (${code ?? signal}) before listening:\n${stderrText}`));
      });
    });
    if (opts.netns) {
      // The agent listens on the namespace's own loopback: reach it through a relay.
      relay?.close();
      relay = await relayFromNetns(opts.netns, Number(new URL(url).port), root);
      url = `http://127.0.0.1:${relay.port}`;
    }
  };

  const doFetch = (path: string, init: AgentFetchInit = {}): Promise<Response> => {
    const { auth, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth !== false && !opts.insecure) {
      headers.set('authorization', `Bearer ${typeof auth === 'string' ? auth : token}`);
    }
    return fetch(`${url}${path}`, { ...rest, headers });
  };

  const terminate = async (): Promise<number | null> => {
    const c = child as ChildProcess | null;
    if (!c) return null;
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
    const code = await exited(c);
    clearTimeout(kill);
    return code;
  };

  await launch([]).catch(async (err: unknown) => {
    await rm(root, { recursive: true, force: true });
    throw err;
  });

  return {
    get url() {
      return url;
    },
    token,
    tokenFile,
    root,
    stateDir,
    kernel,
    rootfs,
    get pid() {
      return (child as ChildProcess | null)?.pid ?? -1;
    },
    stderr: () => stderrText,
    fetch: doFetch,
    async json<T>(path: string, init?: AgentFetchInit) {
      const res = await doFetch(path, init);
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) as T };
      } catch {
        throw new Error(
          `${init?.method ?? 'GET'} ${path}: ${res.status} with a non-JSON body: ${text.slice(0, 500)}`,
        );
      }
    },
    terminate,
    async kill9() {
      const c = child as ChildProcess | null;
      if (!c) return;
      c.kill('SIGKILL');
      await exited(c);
    },
    async restart(extraArgs: string[] = []) {
      const c = child as ChildProcess | null;
      if (c && c.exitCode === null && c.signalCode === null) {
        throw new Error('restart(): the agent is still running; terminate() or kill9() it first');
      }
      await launch(extraArgs);
    },
    async stop() {
      try {
        await terminate();
      } finally {
        relay?.close();
        killRecordedFirecrackers(stateDir);
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

/** Last-resort cleanup for a test that forgot stop(): agents still running get SIGKILL. */
export function killAllAgents(): void {
  for (const c of live) c.kill('SIGKILL');
}
