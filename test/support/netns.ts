// Network namespaces for networking tests: every test's network lives in a namespace it creates
// with a random name (fcm-<purpose>-<random>) and deletes afterwards, so the machine's own
// network is never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Netns {
  readonly name: string;
  /** argv prefix that runs a command inside the namespace. */
  exec(cmd: string, args: string[]): string;
  spawn(cmd: string, args: string[]): ChildProcess;
  delete(): void;
}

const made = new Set<string>();

export function netnsProblem(): string | null {
  if (process.getuid?.() !== 0) return 'networking tests need root (ip netns, nft)';
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'networking tests need iproute2 and nftables';
  }
  return null;
}

export function createNetns(purpose: string): Netns {
  const name = `fcm-${purpose}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  made.add(name);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  const children = new Set<ChildProcess>();
  return {
    name,
    exec: (cmd, args) => execFileSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8' }),
    spawn: (cmd, args) => {
      const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      return child;
    },
    delete: () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      // Processes still inside would keep it alive; kill them by pid (ip netns pids), then delete.
      try {
        for (const pid of execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/)) {
          if (/^\d+$/.test(pid)) process.kill(Number(pid), 'SIGKILL');
        }
      } catch {}
      try {
        execFileSync('ip', ['netns', 'del', name]);
      } catch {}
      made.delete(name);
    },
  };
}

process.on('exit', () => {
  for (const name of made) {
    try {
      execFileSync('ip', ['netns', 'del', name]);
    } catch {}
  }
});
