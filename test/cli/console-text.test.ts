import { describe, expect, it } from 'vitest';
import { ReadableConsoleText, readableConsoleText } from '../../src/cli/console-text.ts';
import { noPaint } from '../../src/cli/format.ts';
import { statusPage } from '../../src/cli/microvm-view.ts';
import { microvmRecord } from '../support/fixtures.ts';

describe('console text for reading (logs, status)', () => {
  it("drops BusyBox's cursor-position query and other controls, keeps colours and line ends", () => {
    const raw = 'Welcome\r\n\x1b[6nmicrovm:~# \x1b[1;32mok\x1b[0m\x07\x1b]0;title\x07\tx\x00\n';
    expect(readableConsoleText(raw)).toBe('Welcome\r\nmicrovm:~# \x1b[1;32mok\x1b[0m\tx\n');
  });

  it('holds back a sequence split across chunks', () => {
    const f = new ReadableConsoleText();
    const bytes = Buffer.from('a\x1b[6nb \x1b[0mc');
    let out = '';
    for (const b of bytes) out += f.push(Uint8Array.of(b));
    out += f.end();
    expect(out).toBe('ab \x1b[0mc');
    expect(f.push(Buffer.from('é'))).toBe('é');
  });
});

describe('status page: last console lines', () => {
  it("shows BusyBox's prompt without its cursor query, as text and with no raw escape", () => {
    const vm = microvmRecord({
      state: 'stopped',
      last_console_lines: ['\x1b[6nmicrovm:~# uname -m', 'aarch64'],
    });
    const page = statusPage(vm, noPaint);
    expect(page).toContain('  microvm:~# uname -m\n  aarch64');
    expect(page).not.toContain('\x1b');
    expect(page).not.toContain('[6n');
  });
});
