// How a stop is done, branch by branch: the aarch64 branch cannot be reached on an x86_64 test host.
import { describe, expect, test } from 'vitest';
import { stopPlan } from '../../../src/agent/lifecycle/operations.ts';

describe('stopPlan', () => {
  test('x86_64 running: graceful (SendCtrlAltDel, then SIGKILL after the timeout)', () => {
    expect(stopPlan('x86_64', 'running', false).kind).toBe('graceful');
  });

  test('aarch64 has no SendCtrlAltDel: a hard stop that says so and how to stop cleanly', () => {
    const plan = stopPlan('aarch64', 'running', false);
    expect(plan.kind).toBe('kill');
    expect(plan.message).toMatch(/aarch64 has no SendCtrlAltDel/);
    expect(plan.message).toMatch(/poweroff/);
  });

  test('force, a microVM never booted, and a paused one are killed with the reason given', () => {
    expect(stopPlan('x86_64', 'running', true)).toMatchObject({
      kind: 'kill',
      message: expect.stringMatching(/force/),
    });
    expect(stopPlan('x86_64', 'created', false)).toMatchObject({
      kind: 'kill',
      message: expect.stringMatching(/not booted/),
    });
    expect(stopPlan('x86_64', 'paused', false)).toMatchObject({
      kind: 'kill',
      message: expect.stringMatching(/paused/),
    });
  });
});
