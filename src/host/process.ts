// Runs a program with an argv array (never a shell string) and collects its output. Used for tart
// and for commands on a local Linux host.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { HostError } from './errors.ts';

export interface RunOptions {
  /** Bytes for stdin, or a file streamed to stdin. Without it stdin is /dev/null. */
  stdin?: string | Uint8Array | { file: string };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Aborting kills the process. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function runProcess(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new HostError('command_not_found', `${file}: not found`));
      else reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n(timed out after ${opts.timeoutMs} ms)` : stderr,
      });
    });
    if (child.stdin) {
      // The child may exit before reading all of stdin (EPIPE): its exit code tells the story.
      child.stdin.on('error', () => {});
      const input = opts.stdin;
      if (typeof input === 'object' && input !== null && 'file' in input) {
        const rs = createReadStream(input.file);
        rs.on('error', (e) => {
          child.kill('SIGKILL');
          reject(e);
        });
        rs.pipe(child.stdin);
      } else if (input !== undefined) {
        child.stdin.end(input);
      }
    }
  });
}
