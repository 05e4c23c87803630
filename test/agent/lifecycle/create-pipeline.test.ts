// The create pipeline's contract for steps inserted by later features: order, undo in reverse for
// the failed step and every earlier one, the original error rethrown, and named insertion points.
import { describe, expect, test } from 'vitest';
import type { LifecycleContext } from '../../../src/agent/lifecycle/context.ts';
import {
  type CreateContext,
  type CreateStep,
  insertStepAfter,
  insertStepBefore,
  runCreatePipeline,
} from '../../../src/agent/lifecycle/create-pipeline.ts';
import { createSteps } from '../../../src/agent/lifecycle/create-steps.ts';
import { Logger } from '../../../src/agent/log.ts';

function fakeContext(): CreateContext {
  const agent = { log: new Logger('error') } as unknown as LifecycleContext;
  return { agent, name: 'vm', extra: new Map() } as unknown as CreateContext;
}

function step(name: string, trace: string[], fail = false, undoFails = false): CreateStep {
  return {
    name,
    async run() {
      trace.push(`run ${name}`);
      if (fail) throw new Error(`${name} broke`);
    },
    async undo() {
      trace.push(`undo ${name}`);
      if (undoFails) throw new Error(`undo ${name} broke`);
    },
  };
}

describe('runCreatePipeline', () => {
  test('runs every step in order and undoes nothing when all succeed', async () => {
    const trace: string[] = [];
    await runCreatePipeline([step('a', trace), step('b', trace)], fakeContext());
    expect(trace).toEqual(['run a', 'run b']);
  });

  test('a failing step: undo runs for it and every earlier step, last first; later steps never run', async () => {
    const trace: string[] = [];
    const steps = [
      step('a', trace),
      { name: 'b', run: async () => void trace.push('run b') },
      step('c', trace, true),
      step('d', trace),
    ];
    await expect(runCreatePipeline(steps, fakeContext())).rejects.toThrow('c broke');
    expect(trace).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo a']);
  });

  test('an undo that throws does not stop the other undos; the error thrown is what beforeUndo made of it', async () => {
    const trace: string[] = [];
    const steps = [step('a', trace), step('b', trace, false, true), step('c', trace, true)];
    const seen: string[] = [];
    const err = await runCreatePipeline(steps, fakeContext(), async (e, failed) => {
      seen.push(failed, (e as Error).message);
      return new Error('described');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('described');
    expect(seen).toEqual(['c', 'c broke']);
    expect(trace).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
  });
});

describe('inserting steps', () => {
  const names = (steps: readonly CreateStep[]) => steps.map((s) => s.name);

  test('the default pipeline launches, configures, starts and publishes in that order', () => {
    const n = names(createSteps);
    for (const [before, after] of [
      ['files.directory', 'firecracker.launch'],
      ['firecracker.launch', 'firecracker.configure'],
      ['firecracker.configure', 'firecracker.start'],
      ['firecracker.launch', 'vsock.configure'],
      ['vsock.configure', 'firecracker.start'],
      ['firecracker.start', 'microvm.publish'],
    ]) {
      expect(n.indexOf(before as string)).toBeLessThan(n.indexOf(after as string));
    }
    expect(new Set(n).size).toBe(n.length);
  });

  test('before and after a named step, without changing the list given', () => {
    const noop = (name: string): CreateStep => ({ name, run: async () => undefined });
    const withNet = insertStepBefore(createSteps, 'firecracker.configure', noop('network.tap'));
    const withMore = insertStepAfter(withNet, 'firecracker.configure', noop('example.after'));
    const n = names(withMore);
    const at = n.indexOf('firecracker.configure');
    expect(n.slice(at - 1, at + 2)).toEqual(['network.tap', 'firecracker.configure', 'example.after']);
    expect(names(createSteps)).not.toContain('network.tap');
  });

  test('an unknown anchor or a duplicate name is refused with the names that exist', () => {
    const noop: CreateStep = { name: 'x.y', run: async () => undefined };
    expect(() => insertStepBefore(createSteps, 'nope', noop)).toThrow(
      /no create step named nope.*firecracker\.launch/,
    );
    expect(() =>
      insertStepBefore(createSteps, 'firecracker.start', { ...noop, name: 'firecracker.launch' }),
    ).toThrow(/already in the list/);
  });
});
