// The benchmarks (see bench/run.mjs for how to read them). Each one starts what it uses and stops
// it in a finally, with bounded iterations; the whole run stays within a few minutes.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { type BenchAgent, startAgent } from './agent.ts';
import { benchCliStartup } from './cli-startup.ts';
import { benchDashboard } from './dashboard.ts';
import { directConsoleRoundTrips, directCreate, directLatencies, OutputLog, roundTrips } from './direct.ts';
import {
  bootFiles,
  Cleanup,
  doubleBin,
  mib,
  now,
  percentile,
  printTable,
  type Row,
  ratio,
  realFirecrackerBin,
  rssBytes,
  tempDir,
} from './lib.ts';
import { benchNet, netRole, netSkipReason } from './net.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args[args.indexOf('--only') + 1];
const only = args.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : null;
const wanted = (name: string): boolean => only === null || only.has(name);

const N_CREATE = quick ? 3 : 10;
const N_CREATE_REAL = quick ? 3 : 10;
// p99 of 2000 is the 20th worst: a few GC pauses in a run no longer decide it.
const N_PASSTHROUGH = quick ? 200 : 2000;
const N_RSS_VMS = quick ? 10 : 50;
const N_KEYS = quick ? 20 : 100;
const N_NET = quick ? 100 : 500;
const PAYLOAD_NOTE = 'round trips of 64 bytes, a fifth as many new connections, one 100 MiB download';
const N_CLI = quick ? 10 : 30;

function realFirecracker(): { path: string } | { skip: string } {
  if (!existsSync(realFirecrackerBin))
    return { skip: `${realFirecrackerBin} not found (set FC_BENCH_FIRECRACKER)` };
  if (!existsSync('/dev/kvm')) return { skip: '/dev/kvm is missing' };
  return { path: realFirecrackerBin };
}

async function withCleanup<T>(fn: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  try {
    return await fn(cleanup);
  } finally {
    await cleanup.run();
  }
}

function summary(label: string, samples: number[]): Row {
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    path: label,
    n: samples.length,
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
    'mean ms': mean,
  };
}

/** Goals of issue 19 for the agent figures (ratios and added milliseconds in the same run). */
const CREATE_GOAL_RATIO = 1.1;
const PASSTHROUGH_GOAL_P50_MS = 0.5;
const PASSTHROUGH_GOAL_P99_MS = 2;

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(2)}`;
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

/** Idle time before each create of the spaced-out runs: a user's creates are seconds apart. */
const CREATE_IDLE_MS = 150;

async function benchCreate(binary: string, label: string, n: number, boot = true): Promise<Row[]> {
  return withCleanup(async (cleanup) => {
    const dir = await tempDir(cleanup, 'c-');
    const files = await bootFiles(dir);
    const direct: number[] = [];
    for (let i = 0; i < n; i++) {
      await sleep(CREATE_IDLE_MS);
      const r = await directCreate(cleanup, binary, dir, `d${i}`, files, boot);
      direct.push(r.ms);
      await r.stop();
    }
    /** n creates through an agent started with these flags, each removed before the next. */
    const viaAgent = async (extraArgs: string[], idleMs: number): Promise<number[]> =>
      withCleanup(async (own) => {
        const agent = await startAgent(own, { firecracker: binary, ...files, extraArgs });
        const samples: number[] = [];
        for (let i = 0; i < n; i++) {
          await sleep(idleMs);
          const t0 = now();
          const vm = boot ? await agent.createRunning(`b${i}`) : await agent.createConfigured(`b${i}`);
          samples.push(now() - t0);
          await agent.remove(vm.id);
        }
        return samples;
      });
    const spaced = await viaAgent([], CREATE_IDLE_MS);
    const cold = await viaAgent(['--spare-vmms', '0'], CREATE_IDLE_MS);
    const burst = await viaAgent([], 0);
    const base = percentile(direct, 50);
    const goal = (samples: number[]): string => {
      const r = percentile(samples, 50) / base;
      return `≤ ${CREATE_GOAL_RATIO.toFixed(2)}x: ${verdict(r <= CREATE_GOAL_RATIO)}`;
    };
    const row = (what: string, samples: number[], goalText: string): Row => ({
      ...summary(what, samples),
      'ratio p50': ratio(percentile(samples, 50), base),
      goal: goalText,
    });
    const end = boot ? 'running' : 'created';
    return [
      row(
        `direct: launch, PUT metrics/vsock/machine/boot/drive${boot ? ', InstanceStart' : ''} (${label})`,
        direct,
        '',
      ),
      row(`POST /agent/microvms → ${end}: a spare firecracker ready (the default)`, spaced, goal(spaced)),
      row(`  same, --spare-vmms 0: the create launches firecracker itself`, cold, '(for reference)'),
      row(`  same, back to back: the next create before the spare is ready`, burst, '(for reference)'),
    ];
  });
}

/**
 * Real firecracker where its binary is here (configured, not booted: GET /machine-config answers
 * before a boot, no KVM needed), else the double (booted). The two ways run interleaved in rounds,
 * so a busy moment of the machine falls on both alike.
 */
async function benchPassthrough(): Promise<Row[]> {
  return withCleanup(async (cleanup) => {
    const dir = await tempDir(cleanup, 'p-');
    const files = await bootFiles(dir);
    const real = existsSync(realFirecrackerBin);
    const label = real ? 'real firecracker, not booted' : 'double';
    const agent = await startAgent(cleanup, { firecracker: real ? realFirecrackerBin : doubleBin, ...files });
    const vm = real ? await agent.createConfigured('pass') : await agent.createRunning('pass');
    // Warm every path (connections, JIT) before timing.
    await directLatencies(vm.socket_path, '/machine-config', 50);
    await agent.passthroughLatenciesHttp(vm.id, '/machine-config', 50);
    await agent.passthroughLatencies(vm.id, '/machine-config', 50);
    const direct: number[] = [];
    const viaAgent: number[] = [];
    const viaFetch: number[] = [];
    const rounds = 20;
    for (let i = 0; i < rounds; i++) {
      const n = N_PASSTHROUGH / rounds;
      direct.push(...(await directLatencies(vm.socket_path, '/machine-config', n)));
      viaAgent.push(...(await agent.passthroughLatenciesHttp(vm.id, '/machine-config', n)));
      viaFetch.push(...(await agent.passthroughLatencies(vm.id, '/machine-config', n)));
    }
    await agent.remove(vm.id);
    const d = summary(`direct: node:http on the API socket (${label})`, direct);
    const added = (s: Row, col: string): number => Number(s[col]) - Number(d[col]);
    const row = (s: Row, goal: string): Row => ({
      ...s,
      'added p50 ms': signed(added(s, 'p50 ms')),
      'added p99 ms': signed(added(s, 'p99 ms')),
      goal,
    });
    const a = summary('agent: node:http, kept-alive connection (same client)', viaAgent);
    const f = summary("agent: fetch, the SDK's client (for reference)", viaFetch);
    const met =
      added(a, 'p50 ms') <= PASSTHROUGH_GOAL_P50_MS && added(a, 'p99 ms') <= PASSTHROUGH_GOAL_P99_MS;
    return [
      { ...d, 'added p50 ms': '', 'added p99 ms': '', goal: '' },
      row(a, `p50 ≤ +${PASSTHROUGH_GOAL_P50_MS} ms, p99 ≤ +${PASSTHROUGH_GOAL_P99_MS} ms: ${verdict(met)}`),
      row(f, "(fetch's own cost included)"),
    ];
  });
}

async function benchRss(): Promise<Row[]> {
  return withCleanup(async (cleanup) => {
    const dir = await tempDir(cleanup, 'r-');
    const files = await bootFiles(dir);
    const agent = await startAgent(cleanup, {
      firecracker: doubleBin,
      kernel: files.kernel,
      rootfs: files.rootfs,
    });
    await settle();
    const idle = await rssBytes(agent.pid);
    const ids: string[] = [];
    for (let i = 0; i < N_RSS_VMS; i++) ids.push((await agent.createRunning(`m${i}`)).id);
    await settle();
    const loaded = await rssBytes(agent.pid);
    // Everything the agent holds per microVM should be visible: list them once too.
    await agent.list();
    const listed = await rssBytes(agent.pid);
    for (const id of ids) await agent.remove(id);
    return [
      { state: 'agent idle', microvms: 0, 'rss MiB': mib(idle), ratio: '1.00x' },
      {
        state: `agent with ${N_RSS_VMS} microVMs (double)`,
        microvms: N_RSS_VMS,
        'rss MiB': mib(loaded),
        ratio: ratio(loaded, idle),
      },
      {
        state: '  after listing them',
        microvms: N_RSS_VMS,
        'rss MiB': mib(listed),
        ratio: ratio(listed, idle),
      },
      { state: 'per microVM', microvms: 1, 'rss MiB': mib((loaded - idle) / N_RSS_VMS), ratio: '' },
    ];
  });
}

async function benchConsole(): Promise<Row[]> {
  return withCleanup(async (cleanup) => {
    const dir = await tempDir(cleanup, 'k-');
    const files = await bootFiles(dir);
    const direct = await directConsoleRoundTrips(cleanup, doubleBin, dir, files, N_KEYS);
    const agent = await startAgent(cleanup, {
      firecracker: doubleBin,
      kernel: files.kernel,
      rootfs: files.rootfs,
    });
    const vm = await agent.createRunning('keys');
    const ws = new WebSocket(agent.consoleUrl(vm.id), {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    cleanup.add(() => ws.terminate());
    const out = new OutputLog();
    ws.on('message', (d: Buffer) => out.push(Buffer.from(d)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await out.waitFor('/ # ', 0, 30_000);
    const viaAgent = await roundTrips(N_KEYS, (b) => ws.send(b), out);
    ws.close();
    await agent.remove(vm.id);
    const d = summary('stdio pipe to the double', direct);
    const a = summary('agent WebSocket → FIFO → double → console.log → agent', viaAgent);
    return [
      { ...d, ratio: '1.00x' },
      { ...a, ratio: ratio(Number(a['p50 ms']), Number(d['p50 ms'])) },
    ];
  });
}

/** Lets the agent finish what the last request started (GC, lazy work) before reading RSS. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `# fc-macos benchmarks${quick ? ' (quick)' : ''}: ratios are agent / baseline, measured in this run`,
  );
  if (!existsSync(doubleBin)) {
    console.error(`${doubleBin} is missing: bench/run.mjs builds it from test/support/fc-double`);
    process.exitCode = 1;
    return;
  }
  let failed = false;
  const run = async (name: string, title: string, fn: () => Promise<Row[]>): Promise<void> => {
    if (!wanted(name)) return;
    try {
      printTable(title, await fn());
    } catch (err) {
      failed = true;
      console.log(
        `\n## ${title}\nFAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  };
  await run(
    'create',
    `create → running vs the same Firecracker calls made directly, ${N_CREATE} microVMs each way, each after ${CREATE_IDLE_MS} ms idle unless said (Firecracker double)`,
    () => benchCreate(doubleBin, 'double', N_CREATE),
  );
  const real = realFirecracker();
  if ('path' in real) {
    const fc = real.path;
    await run(
      'create',
      `create → running vs the same Firecracker calls made directly, ${N_CREATE_REAL} microVMs each way, each after ${CREATE_IDLE_MS} ms idle unless said (real firecracker)`,
      () => benchCreate(fc, 'real', N_CREATE_REAL),
    );
  } else if (wanted('create')) {
    console.log(`\n## create → running (real firecracker)\nskipped: ${real.skip}`);
    if (existsSync(realFirecrackerBin)) {
      // Without KVM Firecracker still launches and takes its configuration; only the boot fails.
      await run(
        'create',
        `create → created (configured, not booted: no KVM here) vs the same Firecracker calls made directly, ${N_CREATE_REAL} microVMs each way, each after ${CREATE_IDLE_MS} ms idle unless said (real firecracker)`,
        () => benchCreate(realFirecrackerBin, 'real, no boot', N_CREATE_REAL, false),
      );
    }
  }
  await run(
    'passthrough',
    `passthrough: GET /machine-config through the agent vs on the API socket, ${N_PASSTHROUGH} requests each way, interleaved`,
    benchPassthrough,
  );
  await run('rss', 'agent memory (VmRSS)', benchRss);
  await run('console', `console round trip of one keystroke, ${N_KEYS} keys each way`, benchConsole);
  const netSkip = netSkipReason();
  if (netSkip !== null && wanted('net')) console.log(`\n## port-forward vs direct TCP\nskipped: ${netSkip}`);
  else
    await run('net', `port-forward vs direct TCP to the same guest port, ${N_NET} ${PAYLOAD_NOTE}`, () =>
      withCleanup((cleanup) => benchNet(cleanup, N_NET)),
    );
  await run('dashboard', 'dashboard: refresh render and idle CPU (bench/dashboard.ts)', () =>
    withCleanup((cleanup) => benchDashboard(cleanup, quick)),
  );
  await run('cli', `CLI start-up, ${N_CLI} runs of each, interleaved (whole processes)`, () =>
    withCleanup((cleanup) => benchCliStartup(cleanup, N_CLI)),
  );
  // Booting a guest needs KVM that boots stock guests; these machines have the emulated Mac instead.
  console.log(
    '\n## real guests: run → prompt vs direct, boot → ready, exec vs console, cp, stop through the guest agent\n' +
      'measured by `npm run bench:emulated` (bench/emulated.ts, on the emulated Mac)',
  );
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
}

export type { BenchAgent };

if (args[0] === '--net-role') await netRole(args.slice(1));
else await main();
