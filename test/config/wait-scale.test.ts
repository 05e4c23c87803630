import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.ts';
import { scaledWait, waitScale } from '../../src/config/wait-scale.ts';

describe('FC_MACOS_WAIT_SCALE', () => {
  it('is 1 unset and scales waits when set', () => {
    expect(waitScale({})).toBe(1);
    expect(scaledWait(60_000, {})).toBe(60_000);
    expect(scaledWait(60_000, { FC_MACOS_WAIT_SCALE: '4' })).toBe(240_000);
    expect(scaledWait(1000, { FC_MACOS_WAIT_SCALE: '1.5' })).toBe(1500);
  });

  it('refuses a value that is not a number from 1 to 100, naming the variable', () => {
    for (const bad of ['0', '0.5', 'fast', '101', '-2']) {
      expect(() => waitScale({ FC_MACOS_WAIT_SCALE: bad })).toThrow(ConfigError);
      expect(() => waitScale({ FC_MACOS_WAIT_SCALE: bad })).toThrow(/FC_MACOS_WAIT_SCALE=.*1 to 100/);
    }
  });
});
