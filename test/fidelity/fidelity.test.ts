// Differential suite: each case runs against the real firecracker and the double side by side,
// and any difference not listed in differences.ts fails it.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testKernel } from '../support/kernel.ts';
import { doubleBin, realFirecracker } from '../support/paths.ts';
import { type ApiCase, apiCases, type ProcessCase, processCases, type Step } from './cases.ts';
import { knownDifferences } from './differences.ts';
import { request, sendRaw } from './support/raw-http.ts';
import { type Exit, Target } from './support/target.ts';

const real = realFirecracker();
if ('skip' in real) console.warn(`fidelity suite skipped: ${real.skip}`);
const kernel = await testKernel();
if (typeof kernel !== 'string') console.warn(`fidelity cases that start a VM skipped: ${kernel.skip}`);
const kernelPath = typeof kernel === 'string' ? kernel : undefined;

/** Cases whose sequence boots the VM need a kernel Firecracker's loader accepts. */
const startsVm = (c: ApiCase): boolean =>
  c.steps.some((s) => !('raw' in s) && (s[2] ?? '').includes('InstanceStart') && s[1] === '/actions');

interface Observed {
  statusLine: string;
  headers: string;
  body: string;
}

const targets = new Set<Target>();
afterAll(async () => {
  await Promise.all([...targets].map((t) => t.stop()));
});

function subst(s: string, t: Target, tap: string): string {
  return s.replaceAll('$DIR', t.dir).replaceAll('$TAP0', `${tap}a`).replaceAll('$TAP1', `${tap}b`);
}

/** Puts back what must differ between two runs: the temp dir, log timestamps. */
function normalise(s: string, t: Target): string {
  return s.replaceAll(t.dir, '$DIR').replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+ /gm, '<ts> ');
}

function stepRequest(step: Step, t: Target, tap: string): string {
  if ('raw' in step) return step.raw;
  const [method, path, body] = step;
  return request(method, subst(path, t, tap), body === undefined ? undefined : subst(body, t, tap));
}

async function runApiCase(
  c: ApiCase,
  t: Target,
  tap: string,
): Promise<{ answers: Observed[]; exit?: { exit: Exit; socketLeft: boolean } }> {
  targets.add(t);
  await t.start();
  const answers: Observed[] = [];
  for (const step of c.steps) {
    const reply = await sendRaw(t.socket, stepRequest(step, t, tap));
    const headers = Object.entries(reply.headers)
      .map(([k, v]) => `${k}: ${k === 'content-length' ? '<n>' : v}`)
      .join('\n');
    answers.push({ statusLine: reply.statusLine, headers, body: normalise(reply.body, t) });
  }
  const exit = c.exits
    ? await Promise.race([
        t.exited,
        new Promise<Exit>((r) => setTimeout(() => r({ code: -1, signal: null }), 10_000)),
      ])
    : undefined;
  // Whether the socket file outlives the process decides what a client sees next: refused or missing.
  const socketLeft = existsSync(t.socket);
  await t.stop();
  targets.delete(t);
  return exit ? { answers, exit: { exit, socketLeft } } : { answers };
}

async function runProcessCase(c: ProcessCase, t: Target): Promise<Record<string, unknown>> {
  targets.add(t);
  if (c.socketTaken) writeFileSync(join(t.dir, 'fc.sock'), '');
  await t.start(c.args);
  if (c.kill) t.signal(c.kill);
  const exit = await Promise.race([
    t.exited,
    new Promise<Exit>((r) => setTimeout(() => r({ code: -1, signal: null }), 10_000)),
  ]);
  const out = {
    exit,
    stdout: normalise(t.stdout, t),
    stderr: normalise(t.stderr, t),
    socketLeft: existsSync(t.socket),
  };
  await t.stop();
  targets.delete(t);
  return out;
}

function listed(caseName: string, step: number): boolean {
  return knownDifferences.some((d) => d.case === caseName && d.step === step);
}

describe.skipIf('skip' in real)('fidelity: the double answers like firecracker v1.14.4', () => {
  const realPath = 'path' in real ? real.path : '';

  it('lists differences only for cases that exist', () => {
    for (const d of knownDifferences) {
      const c = apiCases.find((x) => x.name === d.case);
      expect(c, d.case).toBeDefined();
      expect(d.step).toBeLessThan(c?.steps.length ?? 0);
      expect(d.reason.length).toBeGreaterThan(0);
    }
  });

  const apiCase = async (c: ApiCase, i: number): Promise<void> => {
    const tap = `fcf${process.pid % 1000}x${i}`;
    const [r, d] = await Promise.all([
      runApiCase(c, new Target('real', realPath, kernelPath), tap),
      runApiCase(c, new Target('double', doubleBin, kernelPath), tap),
    ]);
    const unlisted: string[] = [];
    const stale: number[] = [];
    r.answers.forEach((ra, step) => {
      const da = d.answers[step];
      const same = JSON.stringify(ra) === JSON.stringify(da);
      if (!same && !listed(c.name, step))
        unlisted.push(
          `step ${step} ${JSON.stringify(c.steps[step])}\n  real:   ${JSON.stringify(ra)}\n  double: ${JSON.stringify(da)}`,
        );
      if (same && listed(c.name, step)) stale.push(step);
    });
    expect(unlisted, 'unlisted differences').toEqual([]);
    expect(stale, 'listed differences that no longer differ').toEqual([]);
    if (c.exits) expect(d.exit).toEqual(r.exit);
  };
  const indexed = apiCases.map((c, i) => [c.name, c, i] as const);

  it.concurrent.each(indexed.filter(([, c]) => !startsVm(c)))(
    'API: %s',
    async (_n, c, i) => apiCase(c, i),
    60_000,
  );

  describe.skipIf(kernelPath === undefined)('with a started VM', () => {
    it.concurrent.each(indexed.filter(([, c]) => startsVm(c)))(
      'API: %s',
      async (_n, c, i) => apiCase(c, i),
      60_000,
    );
  });

  it.concurrent.each(processCases.map((c) => [c.name, c] as const))(
    'process: %s',
    async (_name, c) => {
      const [r, d] = await Promise.all([
        runProcessCase(c, new Target('real', realPath)),
        runProcessCase(c, new Target('double', doubleBin)),
      ]);
      expect(d).toEqual(r);
    },
    60_000,
  );
});
