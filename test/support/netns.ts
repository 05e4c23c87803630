// Network namespaces for networking tests: every test's network lives in a namespace it creates
// with a random name (fcm-<purpose>-<random>) and deletes afterwards, so the machine's own
// network is never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export interface Netns {
  readonly name: string;
  /** argv prefix that runs a command inside the namespace. */
  exec(cmd: string, args: string[]): string;
  spawn(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
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
    spawn: (cmd, args, env) => {
      const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      });
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

/**
 * A way from this process to a TCP port on 127.0.0.1 inside namespace `ns`, without any link
 * between the namespaces: socat inside turns the port into a Unix socket in `dir`, a server here
 * on 127.0.0.1 pipes each connection into that socket.
 */
export async function relayFromNetns(
  ns: string,
  port: number,
  dir: string,
): Promise<{ port: number; close(): void }> {
  const sock = join(dir, `relay-${port}-${randomBytes(3).toString('hex')}.sock`);
  const inner = spawn(
    'ip',
    ['netns', 'exec', ns, 'socat', `UNIX-LISTEN:${sock},fork,mode=600`, `TCP:127.0.0.1:${port}`],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 250 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(sock)) {
    inner.kill('SIGKILL');
    throw new Error(`relay into ${ns}: socat did not make ${sock}`);
  }
  const sockets = new Set<Socket>();
  const server = createServer((c) => {
    const u = connect(sock);
    sockets.add(c).add(u);
    c.pipe(u).pipe(c);
    const end = (): void => {
      c.destroy();
      u.destroy();
      sockets.delete(c);
      sockets.delete(u);
    };
    c.on('error', end).on('close', end);
    u.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
      inner.kill('SIGKILL');
    },
  };
}
