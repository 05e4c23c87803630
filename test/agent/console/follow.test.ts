// FileFollower coalesces change events: a file written many times in a burst (firecracker writes a
// booting kernel's console line by line) is read in a few passes, every byte once and in order.
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileFollower } from '../../../src/agent/console/follow.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fc-follow-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function follow(path: string) {
  const chunks: Buffer[] = [];
  const f = await FileFollower.open(path, { from: 0, onData: (c) => chunks.push(c) });
  f.start();
  const text = () => Buffer.concat(chunks).toString();
  return { f, chunks, text };
}

it('reads a burst of 2000 line writes in a few passes, every byte once and in order', async () => {
  const path = join(dir, 'console.log');
  writeFileSync(path, '');
  const { f, chunks, text } = await follow(path);
  const lines = Array.from({ length: 2000 }, (_, i) => `[    0.${String(i).padStart(6, '0')}] line ${i}\n`);
  // Each write in its own turn of the event loop, as writes from another process arrive.
  for (const l of lines) {
    appendFileSync(path, l);
    await new Promise((r) => setImmediate(r));
  }
  await expect.poll(text, { timeout: 10_000 }).toBe(lines.join(''));
  // A pass per change event made one chunk per write here; a burst is now read together.
  expect(chunks.length).toBeLessThan(lines.length / 10);
  await f.close();
});

it('reads a single write after a quiet spell, and what was truncated under it from the start', async () => {
  const path = join(dir, 'console.log');
  writeFileSync(path, 'boot\n');
  const { f, text } = await follow(path);
  await expect.poll(text).toBe('boot\n');
  appendFileSync(path, 'x');
  await expect.poll(text).toBe('boot\nx');
  // Someone else cut the file back: what is there now is new output.
  writeFileSync(path, 'new\n');
  await f.read();
  expect(text()).toBe('boot\nxnew\n');
  await f.close();
});

it('close delivers what was written just before it, without waiting for a pending pass', async () => {
  const path = join(dir, 'console.log');
  writeFileSync(path, '');
  const { f, text } = await follow(path);
  for (let i = 0; i < 50; i++) appendFileSync(path, `${i}\n`);
  await f.close();
  expect(text()).toBe(Array.from({ length: 50 }, (_, i) => `${i}\n`).join(''));
});
