// Networking benchmark: fc-macos port-forward (CLI listener → agent HTTP upgrade → guest) against
// a direct TCP connection to the same guest port, measured from the same place in the same run.
// Everything runs in network namespaces made here (never the machine's own network): the agent
// and both clients in one, a "guest" (this bundle in --net-role server mode, on the agent's
// bridge with the microVM's address: the Firecracker double runs no guest) in another.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Microvm } from '../src/api/schemas.ts';
import { createNetns, netnsProblem, relayFromNetns } from '../test/support/netns.ts';
import { waitUntil } from '../test/support/proc.ts';
import {
  agentBin,
  bootFiles,
  type Cleanup,
  doubleBin,
  now,
  percentile,
  type Row,
  ratio,
  repoRoot,
  tempDir,
} from './lib.ts';

const PAYLOAD = 64;
export const TRANSFER_BYTES = 100 * 1024 * 1024;

// ---------- the roles run inside the namespaces (this bundle, --net-role …) ----------

/** The stand-in guest: 'e' then echo; 'd' then TRANSFER_BYTES of data and close. */
function serve(port: number): void {
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  createServer((s) => {
    s.setNoDelay(true);
    s.once('data', (first) => {
      if (first[0] === 0x64) {
        let left = TRANSFER_BYTES;
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              s.once('drain', pump);
              return;
            }
          }
          s.end();
        };
        pump();
        return;
      }
      if (first.length > 1) s.write(first.subarray(1));
      s.pipe(s);
    });
    s.on('error', () => s.destroy());
  }).listen(port, '0.0.0.0', () => process.stdout.write('ready\n'));
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `payload`, waits for `expect` bytes back (the echo; a leading mode byte is not echoed). */
function roundTrip(s: Socket, payload: Buffer, expect = payload.length): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const on = (c: Buffer): void => {
      got += c.length;
      if (got >= expect) {
        s.off('data', on);
        resolve();
      }
    };
    s.on('data', on);
    s.write(payload);
  });
}

interface ClientResult {
  rtt: number[];
  fresh: number[];
  transferMs: number;
}

/** Round trips on one connection, new connections each with one round trip, one 100 MB download. */
async function client(host: string, port: number, n: number): Promise<ClientResult> {
  const payload = Buffer.alloc(PAYLOAD, 0x62);
  const s = await open(host, port);
  await roundTrip(s, Buffer.concat([Buffer.from('e'), payload]), PAYLOAD);
  const rtt: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await roundTrip(s, payload);
    rtt.push(now() - t0);
  }
  s.destroy();
  const fresh: number[] = [];
  for (let i = 0; i < Math.ceil(n / 5); i++) {
    const t0 = now();
    const c = await open(host, port);
    await roundTrip(c, Buffer.concat([Buffer.from('e'), payload]), PAYLOAD);
    fresh.push(now() - t0);
    c.destroy();
  }
  const d = await open(host, port);
  const t0 = now();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    d.on('data', (c: Buffer) => {
      got += c.length;
    });
    d.on('end', resolve);
    d.on('error', reject);
    d.write('d');
  });
  const transferMs = now() - t0;
  if (got !== TRANSFER_BYTES) throw new Error(`transfer: got ${got} bytes, not ${TRANSFER_BYTES}`);
  d.destroy();
  return { rtt, fresh, transferMs };
}

/** `--net-role server PORT` or `--net-role client HOST PORT N`; prints JSON for the client. */
export async function netRole(argv: string[]): Promise<void> {
  const [role, a, b, c] = argv;
  if (role === 'server') return serve(Number(a));
  if (role === 'client') {
    const r = await client(a ?? '', Number(b), Number(c));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }
  throw new Error(`unknown --net-role ${role}`);
}

// ---------- the orchestration (the bench process, outside the namespaces) ----------

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { out: () => out, err: () => err };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export function netSkipReason(): string | null {
  return netnsProblem();
}

function stats(label: string, samples: number[]): Row {
  return {
    path: label,
    n: samples.length,
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
  };
}

export async function benchNet(cleanup: Cleanup, n: number): Promise<Row[]> {
  const bundle = process.argv[1] ?? '';
  const ns = createNetns('bench');
  cleanup.add(() => ns.delete());
  const guest = createNetns('benchg');
  cleanup.add(() => guest.delete());
  const dir = await tempDir(cleanup, 'n-');
  const files = await bootFiles(dir);
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });

  const agent = ns.spawn(process.execPath, [
    agentBin,
    ...['--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--token-file', tokenFile],
    ...['--firecracker', doubleBin, '--kernel', files.kernel, '--rootfs', files.rootfs],
  ]);
  const agentIo = collect(agent);
  const inner = await waitUntil(
    () => /"msg":"listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(agentIo.err())?.[1],
    'the agent to listen',
    20_000,
  );
  const relay = await relayFromNetns(ns.name, Number(new URL(inner).port), dir);
  cleanup.add(() => relay.close());
  const res = await fetch(`http://127.0.0.1:${relay.port}/agent/microvms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const vm = (await res.json()) as Microvm;
  const address = vm.network?.address;
  if (!address) throw new Error('the microVM got no address');

  ns.exec('ip', ['link', 'add', 'gveth', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guest.name]);
  ns.exec('ip', ['link', 'set', 'gveth', 'master', 'fcbr0', 'up']);
  guest.exec('ip', ['addr', 'add', `${address}/24`, 'dev', 'eth0']);
  guest.exec('ip', ['link', 'set', 'eth0', 'up']);
  const server = guest.spawn(process.execPath, [bundle, '--net-role', 'server', '7000']);
  const serverIo = collect(server);
  await waitUntil(() => serverIo.out().includes('ready'), 'the stand-in guest server', 10_000);

  const forward = ns.spawn(
    process.execPath,
    [join(repoRoot, 'dist', 'cli.cjs'), 'port-forward', 'bench', ':7000'],
    {
      FC_MACOS_AGENT_URL: inner,
      FC_MACOS_TOKEN: token,
      FC_MACOS_CONFIG_DIR: join(dir, 'config'),
      FC_MACOS_STATE_DIR: join(dir, 'cli-state'),
    },
  );
  const fwdIo = collect(forward);
  const fwdPort = await waitUntil(
    () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(fwdIo.out())?.[1],
    'port-forward to listen',
    20_000,
  );

  const measure = async (host: string, port: string): Promise<ClientResult> => {
    const c = ns.spawn(process.execPath, [bundle, '--net-role', 'client', host, port, String(n)]);
    const io = collect(c);
    const code = await exited(c);
    if (code !== 0) throw new Error(`client ${host}:${port} failed (${code}): ${io.err()}`);
    return JSON.parse(io.out()) as ClientResult;
  };
  const direct = await measure(address, '7000');
  const viaForward = await measure('127.0.0.1', fwdPort);
  forward.kill('SIGINT');
  agent.kill('SIGTERM');
  await exited(agent);

  const mbps = (ms: number): number => TRANSFER_BYTES / (1024 * 1024) / (ms / 1000);
  const d = stats('direct TCP to the guest: round trip', direct.rtt);
  const f = stats('port-forward: round trip', viaForward.rtt);
  const dn = stats('direct TCP: new connection + round trip', direct.fresh);
  const fn = stats('port-forward: new connection + round trip', viaForward.fresh);
  const p50 = (r: Row): number => Number(r['p50 ms']);
  // The issue asks for the figures; the goals are ours (two Node hops on loopback against a direct
  // connection of ~0.05 ms), printed with whether this run met them.
  const verdict = (value: number, limit: number, text: string): string =>
    `${text}: ${value <= limit ? 'met' : 'NOT met'}`;
  const added = (a: number, b: number): string => `+${(a - b).toFixed(2)}`;
  return [
    { ...d, 'ratio p50': '1.00x', 'added ms p50': '', 'MiB/s (100 MiB)': '', goal: '' },
    {
      ...f,
      'ratio p50': ratio(p50(f), p50(d)),
      'added ms p50': added(p50(f), p50(d)),
      'MiB/s (100 MiB)': '',
      goal: verdict(p50(f) / p50(d), 3, '≤ 3x'),
    },
    { ...dn, 'ratio p50': '1.00x', 'added ms p50': '', 'MiB/s (100 MiB)': '', goal: '' },
    {
      ...fn,
      'ratio p50': ratio(p50(fn), p50(dn)),
      'added ms p50': added(p50(fn), p50(dn)),
      'MiB/s (100 MiB)': '',
      goal: verdict(p50(fn) / p50(dn), 5, '≤ 5x (an upgrade per connection)'),
    },
    {
      path: 'direct TCP: 100 MiB download',
      n: 1,
      'p50 ms': direct.transferMs,
      'MiB/s (100 MiB)': mbps(direct.transferMs),
      'ratio p50': '1.00x',
      'added ms p50': '',
      goal: '',
    },
    {
      path: 'port-forward: 100 MiB download',
      n: 1,
      'p50 ms': viaForward.transferMs,
      'MiB/s (100 MiB)': mbps(viaForward.transferMs),
      'ratio p50': ratio(viaForward.transferMs, direct.transferMs),
      'added ms p50': added(viaForward.transferMs, direct.transferMs),
      goal: verdict(
        viaForward.transferMs / direct.transferMs,
        2,
        '≤ 2x (at least half the direct throughput)',
      ),
    },
  ];
}
