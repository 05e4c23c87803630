// CLI start-up: how long `fc-macos --help` and `fc-macos microvm ls` take as whole processes, each
// against `node -e 0` measured in the same loop (runs interleaved, so a busy machine slows all
// three alike). `microvm ls` runs the way a set-up user runs it: no --agent-url, the agent's
// address from the cache in the config dir (written by a first run that asked the provider).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { startAgent } from './agent.ts';
import { bootFiles, type Cleanup, doubleBin, percentile, type Row, repoRoot, tempDir } from './lib.ts';

const cliBin = join(repoRoot, 'dist', 'cli.cjs');

function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** One GET on a fresh connection (what a new CLI process pays), headers to end of body. */
function roundTrip(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(
      `${url}/agent/microvms`,
      { headers: { authorization: `Bearer ${token}`, connection: 'close' }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function row(what: string, p50: number, compared: string, base: number, goal: string, met: boolean): Row {
  return {
    command: what,
    'p50 ms': p50,
    'compared with': compared,
    'baseline p50 ms': base,
    ratio: `${(p50 / base).toFixed(2)}x`,
    goal,
    met: met ? 'yes' : 'NO',
  };
}

export async function benchCliStartup(cleanup: Cleanup, n: number): Promise<Row[]> {
  const dir = await tempDir(cleanup, 'c-');
  const agent = await startAgent(cleanup, { firecracker: doubleBin, ...(await bootFiles(dir)) });
  await agent.createRunning('bench-ls');
  const configDir = join(dir, 'config');
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const port = new URL(agent.url).port;
  await writeFile(join(configDir, 'config.yaml'), `provider: local\nagent_port: ${port}\n`, { mode: 0o600 });
  await writeFile(join(configDir, 'token'), `${agent.token}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  Object.assign(env, { FC_MACOS_CONFIG_DIR: configDir, FC_MACOS_STATE_DIR: join(dir, 'state') });

  // The first run asks the provider and caches the address; then a warm-up of each.
  timeRun([cliBin, 'microvm', 'ls'], env);
  const samples = { node: [] as number[], help: [] as number[], ls: [] as number[], rtt: [] as number[] };
  for (let i = 0; i < n + 2; i++) {
    const node = timeRun(['-e', '0'], env);
    const help = timeRun([cliBin, '--help'], env);
    const ls = timeRun([cliBin, 'microvm', 'ls'], env);
    const rtt = await roundTrip(agent.url, agent.token);
    if (i < 2) continue;
    samples.node.push(node);
    samples.help.push(help);
    samples.ls.push(ls);
    samples.rtt.push(rtt);
  }
  const node = percentile(samples.node, 50);
  const rtt = percentile(samples.rtt, 50);
  const help = percentile(samples.help, 50);
  const ls = percentile(samples.ls, 50);
  const lsBudget = 1.5 * node + rtt;
  return [
    row('node -e 0', node, '(the baseline)', node, '-', true),
    row('fc-macos --help', help, 'node -e 0', node, '<= 1.30x', help <= 1.3 * node),
    row(
      'fc-macos microvm ls (1 microVM, cached address)',
      ls,
      `node -e 0 + one HTTP round trip (${rtt.toFixed(2)} ms)`,
      node + rtt,
      `<= 1.5 x node + RTT = ${lsBudget.toFixed(0)} ms`,
      ls <= lsBudget,
    ),
  ];
}
