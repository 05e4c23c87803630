// A failure in any step stops setup there; the next run skips every earlier step (their run() is
// not called again) and carries on from the failed one.
import { describe, expect, it, vi } from 'vitest';
import type { Step } from '../../src/provision/runner.ts';
import { STEP_IDS, type StepId } from '../../src/provision/state.ts';
import { makeEnv } from './harness.ts';

// Each test runs whole setups (an agent started, a rootfs built): slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

function failOnce(target: StepId, ran: StepId[]): (steps: Step[]) => Step[] {
  return (steps) =>
    steps.map((s) => ({
      ...s,
      check: s.id === target ? async () => false : s.check,
      run: async (p) => {
        ran.push(s.id);
        if (s.id === target) throw new Error(`injected failure in ${target}`);
        return s.run(p);
      },
    }));
}

describe('setup resumes after a failure', () => {
  it.each(STEP_IDS.map((id) => [id]))('in the %s step', async (target) => {
    const env = await makeEnv();
    const ran1: StepId[] = [];
    const first = await env.setup({ wrapSteps: failOnce(target, ran1) });
    expect(first.ok).toBe(false);
    expect(first.error).toMatchObject({ step: target, message: `injected failure in ${target}` });
    const at = STEP_IDS.indexOf(target);
    expect(first.steps.slice(at + 1).every((s) => s.status === 'pending')).toBe(true);

    const ran2: StepId[] = [];
    const second = await env.setup({
      wrapSteps: (steps) =>
        steps.map((s) => ({
          ...s,
          run: async (p) => {
            ran2.push(s.id);
            return s.run(p);
          },
        })),
    });
    expect(second.error).toBeNull();
    // Nothing before the failed step runs again.
    expect(ran2.filter((id) => STEP_IDS.indexOf(id) < at)).toEqual([]);
    expect(second.steps.slice(0, at).every((s) => s.status === 'skipped')).toBe(true);
    // The asset steps from the failed one on are (re)done; host checks were never broken.
    for (const s of second.steps.slice(at)) {
      if (['firecracker', 'kernel', 'rootfs', 'agent'].includes(s.id)) expect(s.status).toBe('done');
    }
  });
});
