// Starts firecracker processes that outlive whoever started them: detached in their own session,
// stdio going to files/fds only (a pipe to a dead parent would kill the VMM with SIGPIPE or block
// it once full), and unref'd so a CLI or a restarting agent can exit while microVMs keep running.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { isAbsolute, relative } from 'node:path';
import { FirecrackerLaunchError } from './errors.ts';
import type { LoggerLevel } from './schemas.ts';

export interface LaunchOptions {
  binary: string;
  socketPath: string;
  id: string;
  /** Default Warning. */
  level?: LoggerLevel;
  /** --log-path: keeps Firecracker's log lines out of stdout, which carries the guest console. */
  logPath?: string;
  /** An fd the caller opened (e.g. a FIFO opened O_RDWR); default /dev/null. Not closed here. */
  stdin?: number;
  /** Appended to; default /dev/null. */
  stdoutPath?: string;
  /** Appended to; default `<socketPath>.stderr`. */
  stderrPath?: string;
  extraArgs?: string[];
  /** How long to wait for the API socket to accept a connection. Default 5000. */
  waitMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * The process's working directory. Relative paths given to it later (drives, the vsock socket)
   * resolve against it, also the ones a snapshot recorded: the jailer's chroot does the same.
   * The API socket and log path are passed relative to it when they lie inside it, so the
   * directory can be renamed while firecracker runs (a spare firecracker becomes a microVM's).
   */
  cwd?: string;
  /** Called once the process is spawned, before waiting for its socket: work that can overlap. */
  afterSpawn?: (pid: number | undefined) => void;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedFirecracker {
  pid: number;
  socketPath: string;
  /** unref'd: does not keep the caller's event loop alive. */
  child: ChildProcess;
  exited: Promise<ProcessExit>;
}

const DEFAULT_WAIT_MS = 5_000;
/** The socket is polled at 1, 2, 4, … ms after the spawn, then every 25 ms: firecracker usually
 * listens within a few ms, and a fixed 25 ms poll made every launch wait for its first sleep. */
const FIRST_POLL_MS = 1;
const MAX_POLL_MS = 25;
const TAIL_BYTES = 4_096;
const TAIL_LINES = 20;

/** The last lines of a file, or '' when it cannot be read. */
function tailOf(path: string): string {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    fd = openSync(path, 'r');
    readSync(fd, buf, 0, length, size - length);
    const lines = buf.toString('utf8').trimEnd().split('\n');
    return lines.slice(-TAIL_LINES).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Resolves true once something accepts a connection on the socket. */
function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ path: socketPath });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGKILL to a detached firecracker's whole process group (it leads its own), else to it alone. */
export function killProcessGroup(pid: number): void {
  try {
    // Detached: the child leads its own process group.
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

async function checkBinary(binary: string): Promise<void> {
  try {
    await access(binary, constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : `not usable (${String(code)})`;
    throw new FirecrackerLaunchError(
      `firecracker binary ${binary} is ${why}: install Firecracker there or point the configuration at the right path`,
    );
  }
}

/** A leftover socket file from a dead firecracker would make the new one fail to bind. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return;
  if (await canConnect(socketPath)) {
    throw new FirecrackerLaunchError(
      `API socket ${socketPath} is already in use by a running process: choose another path or stop that firecracker`,
    );
  }
  unlinkSync(socketPath);
}

export async function launchFirecracker(opts: LaunchOptions): Promise<LaunchedFirecracker> {
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const stdoutPath = opts.stdoutPath ?? '/dev/null';
  const stderrPath = opts.stderrPath ?? `${opts.socketPath}.stderr`;
  await checkBinary(opts.binary);
  await clearStaleSocket(opts.socketPath);

  const arg = (path: string): string => {
    if (opts.cwd === undefined) return path;
    const rel = relative(opts.cwd, path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? `./${rel}` : path;
  };
  const args = ['--api-sock', arg(opts.socketPath), '--id', opts.id, '--level', opts.level ?? 'Warning'];
  if (opts.logPath !== undefined) args.push('--log-path', arg(opts.logPath));
  if (opts.extraArgs) args.push(...opts.extraArgs);

  const ownFds: number[] = [];
  const open = (path: string, flags: string): number => {
    const fd = openSync(path, flags, 0o600);
    ownFds.push(fd);
    return fd;
  };
  let child: ChildProcess;
  try {
    const stdin = opts.stdin ?? open('/dev/null', 'r');
    const stdout = open(stdoutPath, 'a');
    const stderr = open(stderrPath, 'a');
    child = spawn(opts.binary, args, {
      detached: true,
      stdio: [stdin, stdout, stderr],
      env: opts.env ?? process.env,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
  } finally {
    // The child has its own copies now.
    for (const fd of ownFds) closeSync(fd);
  }

  let exit: ProcessExit | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once('error', (err) => {
      spawnError = err;
      exit = { code: null, signal: null };
      resolve(exit);
    });
  });
  child.unref();
  opts.afterSpawn?.(child.pid);

  const tails = (): string =>
    [
      ['stderr', stderrPath],
      ['stdout', stdoutPath],
      ['log', opts.logPath],
    ]
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '/dev/null')
      .map(([name, path]) => [name, tailOf(path)])
      .filter(([, text]) => text !== '')
      .map(([name, text]) => `--- ${name} ---\n${text}`)
      .join('\n');

  const deadline = Date.now() + waitMs;
  let pollMs = FIRST_POLL_MS;
  for (;;) {
    if (exit !== undefined) {
      if (spawnError) {
        throw new FirecrackerLaunchError(
          `could not start firecracker binary ${opts.binary}: ${spawnError.message}`,
        );
      }
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = tails();
      throw new FirecrackerLaunchError(
        `firecracker ${how} before opening its API socket ${opts.socketPath}${tail ? `:\n${tail}` : ''}`,
        { exitCode: exit.code, signal: exit.signal, stderrTail: tail },
      );
    }
    if (await canConnect(opts.socketPath)) break;
    if (Date.now() >= deadline) {
      if (child.pid !== undefined) killProcessGroup(child.pid);
      const { code, signal } = await exited;
      const tail = tails();
      throw new FirecrackerLaunchError(
        `firecracker did not open its API socket ${opts.socketPath} within ${waitMs} ms and was killed${tail ? `:\n${tail}` : ''}`,
        { exitCode: code, signal, stderrTail: tail },
      );
    }
    await sleep(pollMs);
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }

  if (child.pid === undefined) throw new FirecrackerLaunchError('firecracker has no pid');
  return { pid: child.pid, socketPath: opts.socketPath, child, exited };
}

/** `firecracker --version` → `1.14.4`. */
export function firecrackerVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'not found' : err.message;
        reject(
          new FirecrackerLaunchError(`${binary} --version failed: ${why}`, {
            exitCode: typeof code === 'number' ? code : null,
            signal: err.signal ?? null,
            stderrTail: String(stderr).slice(-TAIL_BYTES),
          }),
        );
        return;
      }
      const match = /Firecracker v(\d+\.\d+\.\d+[\w.+-]*)/.exec(String(stdout));
      if (!match?.[1]) {
        reject(
          new FirecrackerLaunchError(
            `${binary} --version printed no "Firecracker vX.Y.Z": ${String(stdout).slice(0, 200)}`,
            { exitCode: 0, signal: null, stderrTail: String(stderr).slice(-TAIL_BYTES) },
          ),
        );
        return;
      }
      resolve(match[1]);
    });
  });
}
