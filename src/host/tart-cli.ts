// Tart's command line, exactly as Tart parses it (Sources/tart/Commands/*.swift). `tart exec` takes
// the command right after the VM name: its argument is captured for passthrough, so a `--` there
// would reach the guest as the program name.
import { z } from 'zod';
import { TartError } from './errors.ts';
import { type RunOptions, type RunResult, runProcess } from './process.ts';

/** One entry of `tart list --format json` (Tart's VMInfo; JSON keys as Tart encodes them). */
export const tartVmInfo = z.object({
  Source: z.string(),
  Name: z.string(),
  Disk: z.number(),
  Size: z.number(),
  Accessed: z.string().optional(),
  Running: z.boolean(),
  State: z.string(),
});
export type TartVmInfo = z.infer<typeof tartVmInfo>;

export const tartArgv = {
  list: (): string[] => ['list', '--format', 'json'],
  clone: (source: string, name: string): string[] => ['clone', source, name],
  set: (name: string, o: { cpu?: number; memoryMib?: number; diskGb?: number }): string[] => [
    'set',
    name,
    ...(o.cpu !== undefined ? ['--cpu', String(o.cpu)] : []),
    ...(o.memoryMib !== undefined ? ['--memory', String(o.memoryMib)] : []),
    ...(o.diskGb !== undefined ? ['--disk-size', String(o.diskGb)] : []),
  ],
  run: (name: string): string[] => ['run', name, '--no-graphics', '--nested'],
  ip: (name: string, waitS?: number): string[] => ['ip', name, ...(waitS ? ['--wait', String(waitS)] : [])],
  exec: (name: string, argv: string[], o: { interactive?: boolean; tty?: boolean } = {}): string[] => [
    'exec',
    ...(o.interactive ? ['-i'] : []),
    ...(o.tty ? ['-t'] : []),
    name,
    ...argv,
  ],
  stop: (name: string, timeoutS: number): string[] => ['stop', name, '--timeout', String(timeoutS)],
  delete: (name: string): string[] => ['delete', name],
};

export class TartCli {
  constructor(
    readonly bin: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runProcess(this.bin, args, { env: this.env, ...opts });
  }

  /** Runs and throws TartError on a non-zero exit. */
  async must(args: string[], opts: RunOptions = {}, fix?: string): Promise<RunResult> {
    const res = await this.run(args, opts);
    if (res.exitCode !== 0) throw new TartError(args, res.exitCode, res.stderr || res.stdout, fix);
    return res;
  }

  async list(): Promise<TartVmInfo[]> {
    const args = tartArgv.list();
    const res = await this.must(args);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.stdout);
    } catch {
      throw new TartError(args, 0, `unexpected output (not JSON): ${res.stdout.slice(0, 200)}`);
    }
    const list = z.array(tartVmInfo).safeParse(parsed);
    if (!list.success) throw new TartError(args, 0, `unexpected JSON: ${list.error.issues[0]?.message}`);
    return list.data;
  }

  /** The local VM with exactly this name (never a prefix or an OCI cache entry). */
  async find(name: string): Promise<TartVmInfo | null> {
    return (await this.list()).find((vm) => vm.Source === 'local' && vm.Name === name) ?? null;
  }
}
