// The default rootfs is copied per microVM: the copy must stay sparse (a 512 MiB image built by
// mkfs.ext4 -d holds a few MiB), or every create writes the whole image out.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { copySparse } from '../../src/agent/files.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { createVm } from './harness.ts';

const SIZE = 256 * 1024 * 1024;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** A 256 MiB file with data at its start and in the middle, holes elsewhere. */
async function sparseImage(dir: string): Promise<string> {
  const path = join(dir, 'rootfs.ext4');
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 0);
  writeSync(fd, Buffer.alloc(4096, 0xcd), 0, 4096, SIZE / 2);
  closeSync(fd);
  await truncate(path, SIZE);
  return path;
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const allocated = (p: string): number => statSync(p).blocks * 512;

describe('per-microVM rootfs copies stay sparse', () => {
  test('copySparse: same bytes, holes kept, owner-only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-rootfs-copy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const src = await sparseImage(dir);
    const dst = join(dir, 'copy.ext4');
    await copySparse(src, dst);
    expect(statSync(dst).size).toBe(SIZE);
    expect(sha(dst)).toBe(sha(src));
    expect(allocated(dst)).toBeLessThan(1024 * 1024);
    expect(statSync(dst).mode & 0o777).toBe(0o600);
  });

  test("a create copies the agent's default rootfs without filling its holes", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-rootfs-copy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const agent: StartedAgent = await startAgent({ rootfs: await sparseImage(dir) });
    cleanups.push(() => agent.stop());
    const vm = await createVm(agent, { name: 'sparse' });
    expect(vm.rootfs).toBe(join(agent.stateDir, 'microvms', vm.id, 'rootfs.ext4'));
    expect(statSync(vm.rootfs).size).toBe(SIZE);
    expect(allocated(vm.rootfs)).toBeLessThan(1024 * 1024);
  });
});
