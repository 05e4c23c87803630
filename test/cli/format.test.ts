// Human formatting: relative times, aligned tables, short ids, colour rules, status views.
import { describe, expect, it } from 'vitest';
import type { Microvm } from '../../src/api/schemas.ts';
import { describeOutcome } from '../../src/cli/attach.ts';
import {
  ansiPaint,
  colourWanted,
  duration,
  mib,
  noPaint,
  relativeTime,
  shortId,
  table,
  visibleWidth,
} from '../../src/cli/format.ts';
import { listTable, statusPage, summaryLine } from '../../src/cli/microvm-view.ts';
import { microvmRecord } from '../support/fixtures.ts';

const now = new Date('2026-11-22T12:00:00Z');
const ago = (s: number): string => new Date(now.getTime() - s * 1000).toISOString();

function vm(over: Partial<Microvm>): Microvm {
  // Times relative to the fixed `now` these tests format against.
  return microvmRecord({ created_at: ago(180), started_at: ago(170), ...over });
}

describe('relativeTime', () => {
  it('says how long ago in the largest whole unit', () => {
    expect(relativeTime(ago(2), now)).toBe('just now');
    expect(relativeTime(ago(42), now)).toBe('42s ago');
    expect(relativeTime(ago(180), now)).toBe('3m ago');
    expect(relativeTime(ago(3 * 3600 + 59), now)).toBe('3h ago');
    expect(relativeTime(ago(2 * 86_400), now)).toBe('2d ago');
    expect(relativeTime(ago(-120), now)).toBe('in 2m');
    expect(relativeTime(null, now)).toBe('-');
    expect(relativeTime('not a date', now)).toBe('-');
  });
});

describe('small formats', () => {
  it('short ids are the first 8 characters', () => {
    expect(shortId('0123456789abcdef')).toBe('01234567');
  });
  it('sizes and durations', () => {
    expect(mib(128)).toBe('128 MiB');
    expect(mib(2048)).toBe('2 GiB');
    expect(mib(1536)).toBe('1536 MiB');
    expect(duration(75)).toBe('1m 15s');
    expect(duration(null)).toBe('-');
  });
});

describe('table', () => {
  it('aligns columns by visible width, colour codes included', () => {
    const t = table(
      ['NAME', 'STATE', 'X'],
      [
        ['a', ansiPaint('green', 'running'), '1'],
        ['longer-name', 'paused', '22'],
      ],
    );
    const lines = t.split('\n');
    expect(lines.map((l) => visibleWidth(l).toString())).toEqual(['23', '23', '24']);
    const col = lines[0]?.indexOf('STATE');
    expect(lines[2]?.indexOf('paused')).toBe(col);
    expect(lines[0]).toBe('NAME         STATE    X');
  });
});

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colourWanted(true, {})).toBe(true);
    expect(colourWanted(false, {})).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted(true, { TERM: 'dumb' })).toBe(false);
  });
});

describe('microVM views', () => {
  it('lists sorted by name whatever the input order', () => {
    const text = listTable([vm({ name: 'web', id: 'ffff000011112222' }), vm({ name: 'api' })], noPaint, now);
    expect(text.split('\n')).toEqual([
      'NAME  ID        STATE    VCPUS  MEMORY   PID  ADDRESS  PORTS  CREATED',
      'api   01234567  running  1      128 MiB  42   -        -      3m ago',
      'web   ffff0000  running  1      128 MiB  42   -        -      3m ago',
    ]);
  });

  it('shows address and published ports (sorted) in the list and the status page', () => {
    const network = {
      address: '172.30.0.7',
      gateway: '172.30.0.1',
      prefix_length: 24,
      mac: '06:fc:ac:1e:00:07',
      tap: 'fcm0123456789ab',
      isolated: true,
      ports: [
        { host_ip: null, host_port: 9000, guest_port: 90, protocol: 'udp' as const },
        { host_ip: '127.0.0.1', host_port: 8080, guest_port: 80, protocol: 'tcp' as const },
      ],
    };
    const row = listTable([vm({ name: 'web', network })], noPaint, now).split('\n')[1];
    expect(row).toContain('172.30.0.7  127.0.0.1:8080->80/tcp, 0.0.0.0:9000->90/udp');
    const page = statusPage(vm({ network }), noPaint, now);
    expect(page).toMatch(
      /Network:\s+172\.30\.0\.7\/24 via 172\.30\.0\.1, MAC 06:fc:ac:1e:00:07, tap fcm0123456789ab, isolated/,
    );
    expect(statusPage(vm({}), noPaint, now)).toMatch(/Network:\s+none/);
  });

  it('summarises by state', () => {
    expect(summaryLine([])).toBe('no microVMs');
    expect(summaryLine([vm({}), vm({ state: 'paused' }), vm({})])).toBe('3 microVMs: 2 running, 1 paused');
  });

  it('shows the exit and the last console lines of an exited microVM', () => {
    const text = statusPage(
      vm({
        state: 'exited',
        pid: null,
        exit: { code: 0, signal: null, reason: 'guest_reboot', at: ago(60) },
        last_console_lines: ['reboot: Restarting system'],
      }),
      noPaint,
      now,
    );
    expect(text).toMatch(/^State:\s+exited \(guest reboot, code 0\)$/m);
    expect(text).toMatch(/^Exited:\s+1m ago \(/m);
    expect(text).toMatch(/Last console lines:\n {2}reboot: Restarting system$/);
  });
});

describe('attach outcomes', () => {
  it('maps every way an attach ends to an exit code and one sentence', () => {
    expect(describeOutcome('x', { kind: 'detached' }).exitCode).toBe(0);
    expect(describeOutcome('x', { kind: 'signal', signal: 'SIGINT' }).exitCode).toBe(130);
    const exited = describeOutcome('x', {
      kind: 'ended',
      end: { kind: 'exited', code: 4000, reason: 'exit code 0' },
    });
    expect(exited).toEqual({ exitCode: 0, message: 'microVM x exited (exit code 0)' });
    expect(
      describeOutcome('x', { kind: 'ended', end: { kind: 'deleted', code: 4001, reason: '' } }).exitCode,
    ).toBe(1);
    const lost = describeOutcome('x', { kind: 'ended', end: { kind: 'lost', code: 1006, reason: '' } });
    expect(lost.exitCode).toBe(1);
    expect(lost.message).toMatch(
      /^the connection to the agent was lost \(code 1006\); microVM x may still be running/,
    );
  });
});
