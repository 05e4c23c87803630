import { existsSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleInputUnavailableError } from '../../src/agent/console/errors.ts';
import { ConsoleSession, historySnapshotPath } from '../../src/agent/console/session.ts';
import { CLOSE_MICROVM_EXITED } from '../../src/api/console.ts';
import { type ConsoleRig, makeRig, spamOutput, waitFor } from './console-support.ts';

let rig: ConsoleRig;
const sessions: ConsoleSession[] = [];

async function openSession(opts: Parameters<typeof ConsoleSession.open>[1] = {}): Promise<ConsoleSession> {
  const s = await ConsoleSession.open({ log: rig.log, input: rig.input }, opts);
  sessions.push(s);
  return s;
}

beforeEach(async () => {
  rig = await makeRig();
});

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close(CLOSE_MICROVM_EXITED, 'test over');
  await rig.cleanup();
});

describe('ConsoleSession', () => {
  it('seeds its history from the tail of an existing console.log', async () => {
    await writeFile(rig.log, 'old boot line 1\nold boot line 2\n');
    const s = await openSession({ historyBytes: 20 });
    expect(s.history().toString()).toBe('e 1\nold boot line 2\n');
    expect(s.lastLines(1)).toEqual(['old boot line 2']);
  });

  it('delivers what firecracker writes to subscribers and to the history, input included', async () => {
    await rig.startWriter();
    const s = await openSession();
    const seen: Buffer[] = [];
    s.subscribe((c) => seen.push(c));
    await s.write(Buffer.from('echo hi\n'));
    await waitFor('echo output', () => Buffer.concat(seen).toString().includes('hi\r\n'));
    expect(Buffer.concat(seen).toString()).toBe('echo hi\nhi\r\n');
    expect(s.history().toString()).toBe('echo hi\nhi\r\n');
    expect(s.lastLines(5)).toEqual(['echo hi', 'hi']);
  });

  it('keeps only the last historyBytes', async () => {
    await rig.startWriter();
    const s = await openSession({ historyBytes: 1000 });
    await s.write(Buffer.from('spam 100\n'));
    const expected = Buffer.from(`spam 100\n${spamOutput(100)}`);
    await waitFor('spam output', async () => (await stat(rig.log)).size === expected.length);
    await waitFor('history filled', () => s.history().equals(expected.subarray(expected.length - 1000)));
  });

  it('cuts console.log at maxLogBytes and loses nothing of the history; appends land at the new end', async () => {
    await rig.startWriter();
    const s = await openSession({ historyBytes: 8192, maxLogBytes: 4096 });
    const seen: Buffer[] = [];
    s.subscribe((c) => seen.push(c));
    let expected = '';
    // Bursts are paced by what the session has read, so each cut happens between writes.
    for (let i = 0; i < 6; i++) {
      const cmd = 'spam 60\n';
      expected += cmd + spamOutput(60);
      await s.write(Buffer.from(cmd));
      await waitFor('burst read', () => Buffer.concat(seen).length === expected.length);
      await waitFor('console.log cut back under the cap', async () => (await stat(rig.log)).size <= 4096);
    }
    const all = Buffer.from(expected);
    expect(Buffer.concat(seen).equals(all)).toBe(true);
    expect(s.history().equals(all.subarray(all.length - 8192))).toBe(true);
    // The file was cut: it holds only what came after the last cut, with no hole of NULs before it
    // (a write at the old offset would have left one).
    const file = await readFile(rig.log);
    expect(file.length).toBeLessThan(all.length);
    expect(file.includes(0)).toBe(false);
    expect(all.toString().endsWith(file.toString())).toBe(true);
    await waitFor('history snapshot', () => existsSync(historySnapshotPath(rig.log)));
  });

  it('notices a console.log truncated by someone else and reads the new content', async () => {
    const s = await openSession();
    const seen: Buffer[] = [];
    s.subscribe((c) => seen.push(c));
    await appendFile(rig.log, 'first part of the log\n');
    await waitFor('first write', () => Buffer.concat(seen).length > 0);
    await writeFile(rig.log, 'new\n');
    await waitFor('after truncation', () => Buffer.concat(seen).toString().endsWith('new\n'));
    expect(Buffer.concat(seen).toString()).toBe('first part of the log\nnew\n');
  });

  it('a new session on the same files (agent restart) has the history and new output, even after a cut', async () => {
    await rig.startWriter();
    const first = await openSession({ historyBytes: 4096, maxLogBytes: 3000 });
    let expected = '';
    for (const n of [50, 50, 20]) {
      const cmd = `spam ${n}\n`;
      expected += cmd + spamOutput(n);
      await first.write(Buffer.from(cmd));
      const sofar = Buffer.from(expected);
      await waitFor('output read', () =>
        first.history().equals(sofar.subarray(Math.max(0, sofar.length - 4096))),
      );
      await waitFor('console.log under the cap', async () => (await stat(rig.log)).size <= 3000);
    }
    await waitFor('history snapshot', () => existsSync(historySnapshotPath(rig.log)));
    const before = first.history();
    // The old agent is gone; firecracker keeps writing meanwhile.
    await first.close(CLOSE_MICROVM_EXITED, 'agent restart');
    await appendFile(rig.log, 'written while no agent ran\n');
    expected += 'written while no agent ran\n';

    const second = await openSession({ historyBytes: 4096, maxLogBytes: 3000 });
    const all = Buffer.from(expected);
    expect(second.history().equals(all.subarray(all.length - 4096))).toBe(true);
    expect(second.history().toString()).toContain(before.subarray(before.length - 1000).toString());
    const seen: Buffer[] = [];
    second.subscribe((c) => seen.push(c));
    // The FIFO is still held by the writer: input works through the new session.
    await second.write(Buffer.from('echo again\n'));
    await waitFor('new output', () => Buffer.concat(seen).toString() === 'echo again\nagain\r\n');
  });

  it('write fails clearly when no process reads the FIFO', async () => {
    await rig.startWriter();
    const s = await openSession();
    await s.write(Buffer.from('x'));
    await rig.stopWriter();
    // The fd opened while the writer lived now sees EPIPE; a fresh open sees ENXIO.
    await expect(s.write(Buffer.from('after'))).rejects.toBeInstanceOf(ConsoleInputUnavailableError);
    await expect(s.write(Buffer.from('again'))).rejects.toThrow(/has no reader \(ENXIO/);
  });

  it('close() delivers the last output, tells close listeners, and refuses input', async () => {
    const s = await openSession({ pollMs: 60_000 });
    const seen: Buffer[] = [];
    s.subscribe((c) => seen.push(c));
    const closes: Array<[number, string]> = [];
    s.onClose((code, reason) => closes.push([code, reason]));
    await appendFile(rig.log, 'reboot: Restarting system\n');
    await s.close(CLOSE_MICROVM_EXITED, 'firecracker exited with code 0');
    expect(Buffer.concat(seen).toString()).toBe('reboot: Restarting system\n');
    expect(closes).toEqual([[CLOSE_MICROVM_EXITED, 'firecracker exited with code 0']]);
    expect(s.closed).toEqual({ code: CLOSE_MICROVM_EXITED, reason: 'firecracker exited with code 0' });
    expect(s.lastLines(1)).toEqual(['reboot: Restarting system']);
    await expect(s.write(Buffer.from('x'))).rejects.toThrow(/closed/);
  });
});
