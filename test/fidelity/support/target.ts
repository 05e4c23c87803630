// One process under test (the real firecracker or the double), started like firecracker in its
// own temp dir, with its output collected and its whole process group killed at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Target {
  readonly dir: string;
  readonly socket: string;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private child: ChildProcess | undefined;
  private exit: Exit | undefined;

  constructor(
    readonly name: 'real' | 'double',
    private readonly binary: string,
    /** Copied to $DIR/vmlinux so both targets boot the same file under the same relative name. */
    kernel?: string,
  ) {
    // Same prefix for both targets: paths in fault texts shift serde's columns by their length.
    this.dir = mkdtempSync(join(tmpdir(), 'fc-fidelity-'));
    this.socket = join(this.dir, 'fc.sock');
    if (kernel) copyFileSync(kernel, join(this.dir, 'vmlinux'));
    writeFileSync(join(this.dir, 'disk.img'), Buffer.alloc(4096));
    writeFileSync(join(this.dir, 'initrd.img'), Buffer.alloc(512));
    let resolveExit: (e: Exit) => void = () => undefined;
    this.exited = new Promise((r) => {
      resolveExit = r;
    });
    this.resolveExit = resolveExit;
  }

  private resolveExit: (e: Exit) => void;

  /** Starts the binary; `args` may use $DIR. Resolves once the socket exists or the process ended. */
  async start(
    args: string[] = ['--api-sock', '$DIR/fc.sock', '--id', 'fidelity', '--level', 'Warning'],
  ): Promise<void> {
    const child = spawn(
      this.binary,
      args.map((a) => a.replaceAll('$DIR', this.dir)),
      {
        cwd: this.dir,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    child.on('close', (code, signal) => {
      this.exit = { code, signal };
      this.resolveExit(this.exit);
    });
    const deadline = Date.now() + 15_000;
    // Ready once the socket accepts a connection (the file appears a moment before listen).
    while (!this.exit && !(await this.accepts())) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not open its socket`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private accepts(): Promise<boolean> {
    if (!existsSync(this.socket)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const s = createConnection(this.socket);
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  }

  /** Sends a signal to the process itself (not its group). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** Types into the process's stdin (the guest's serial console). */
  type(text: string): void {
    this.child?.stdin?.write(text);
  }

  /** Resolves once stdout contains `text` (after `from`), or rejects when the process ends first. */
  async waitForStdout(text: string, from = 0, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.stdout.indexOf(text, from);
      if (at !== -1) return at + text.length;
      if (this.exit) throw new Error(`${this.name} exited before printing ${JSON.stringify(text)}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${JSON.stringify(text)}; stdout: ${this.stdout}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && !this.exit) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
