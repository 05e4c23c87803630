// The table of allowed state changes: a microVM is never restarted, and stopped only ends a stop.
import { describe, expect, test } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  canTransition,
  IllegalTransitionError,
} from '../../../src/agent/lifecycle/transition.ts';
import { microvmState } from '../../../src/api/schemas.ts';

describe('state transitions', () => {
  test('stopped and exited are final', () => {
    for (const to of microvmState.options) {
      if (to !== 'stopped') expect(canTransition('stopped', to)).toBe(false);
      if (to !== 'exited') expect(canTransition('exited', to)).toBe(false);
    }
  });

  test('stopped only follows stopping; every live state can exit', () => {
    for (const from of microvmState.options) {
      expect(canTransition(from, 'stopped')).toBe(from === 'stopping' || from === 'stopped');
    }
    for (const from of ['created', 'running', 'paused', 'stopping'] as const) {
      expect(canTransition(from, 'exited')).toBe(true);
    }
    expect(canTransition('running', 'created')).toBe(false);
    expect(canTransition('paused', 'created')).toBe(false);
  });

  test('every state has a row, and a refused move says what is allowed', () => {
    expect(Object.keys(ALLOWED_TRANSITIONS).sort()).toEqual([...microvmState.options].sort());
    const err = new IllegalTransitionError('vm1', 'exited', 'running');
    expect(err.code).toBe('illegal_transition');
    expect(err.message).toBe('microVM vm1 cannot go from exited to running (allowed from exited: none)');
  });
});
