// Runs the built CLI (dist/cli.cjs, the installed command) as a subprocess against a test agent, in a private config dir
// so nothing of the user's fc-macos setup is read or written.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartedAgent } from '../support/agent.ts';
import { cliBin, repoRoot } from '../support/paths.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  /** Config and state dirs of this test run (FC_MACOS_CONFIG_DIR / FC_MACOS_STATE_DIR). */
  dir: string;
  /** The environment every CLI run gets: the agent's URL and token, no colour forcing. */
  env: NodeJS.ProcessEnv;
  run(
    args: string[],
    /** bin: another build of the CLI to run (default the installed command, dist/cli.cjs). */
    opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; bin?: string },
  ): Promise<CliResult>;
  /** run() + JSON.parse(stdout). */
  json<T = unknown>(
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv },
  ): Promise<{ code: number | null; body: T; stderr: string }>;
  cleanup(): Promise<void>;
}

export const ptyHelper = join(repoRoot, 'test', 'support', 'pty-run.py');

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env))
    if (k.startsWith('FC_MACOS_') || k === 'NO_COLOR' || k === 'FORCE_COLOR') delete env[k];
  return env;
}

export async function cliEnv(agent?: StartedAgent): Promise<CliEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'fc-cli-test-'));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    FC_MACOS_CONFIG_DIR: join(dir, 'config'),
    FC_MACOS_STATE_DIR: join(dir, 'state'),
    ...(agent ? { FC_MACOS_AGENT_URL: agent.url, FC_MACOS_TOKEN: agent.token } : {}),
  };
  const run: CliEnv['run'] = (args, opts = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [opts.bin ?? cliBin, ...args], {
        env: { ...env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`fc-macos ${args.join(' ')} did not finish:\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  return {
    dir,
    env,
    run,
    async json<T>(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
      const r = await run(['--json', ...args], opts);
      let body: T;
      try {
        body = JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(
          `fc-macos --json ${args.join(' ')}: stdout is not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`,
        );
      }
      return { code: r.code, body, stderr: r.stderr };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A process in a pseudo-terminal (test/support/pty-run.py) whose output can be awaited. */
export class PtySession {
  private output = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn('python3', [ptyHelper, ...argv], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const onData = (c: Buffer): void => {
      this.output += c.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  text(): string {
    return this.output;
  }

  write(data: string | Buffer): void {
    this.child.stdin?.write(data);
  }

  /** Resolves once the output matches (after `from`, a previous length); rejects after timeoutMs. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.slice(from).match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the terminal output:\n${JSON.stringify(this.output)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Kills the helper's process group; the terminal's session gets SIGHUP when the pty closes. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await this.exited;
  }
}
