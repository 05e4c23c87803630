// The header checks setup and doctor apply to Firecracker, kernels and rootfs images, on the bytes
// of real formats: the test kernel (x86_64 ELF), an arm64 Image header, mkfs.ext4's output.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkExecutable,
  checkExt4,
  checkFirecrackerVersion,
  checkKernel,
  localHead,
} from '../../src/provision/validate.ts';
import { arm64ImageStub } from '../support/assets.ts';
import { haltLoopElf } from '../support/kernel.ts';
import { makeExt4 } from './harness.ts';

const withArch = (buf: Buffer, machine: number) => {
  const b = Buffer.from(buf);
  b.writeUInt16LE(machine, 18);
  return b;
};

describe('file checks', () => {
  it('kernels: an ELF vmlinux on x86_64, an arm64 Image on aarch64, nothing else', () => {
    expect(checkKernel(haltLoopElf(), 'x86_64')).toEqual({ ok: true });
    expect(checkKernel(arm64ImageStub(), 'aarch64')).toEqual({ ok: true });
    expect(checkKernel(haltLoopElf(), 'aarch64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('ELF vmlinux (x86_64)'),
    });
    expect(checkKernel(arm64ImageStub(), 'x86_64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('not an uncompressed ELF vmlinux'),
    });
    const bz = Buffer.alloc(0x300);
    bz.write('HdrS', 0x202, 'latin1');
    expect(checkKernel(bz, 'x86_64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('compressed bzImage'),
    });
    expect(checkKernel(withArch(haltLoopElf(), 0xb7), 'x86_64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('aarch64'),
    });
  });

  it('executables: 64-bit ELF for the Linux side’s architecture', () => {
    expect(checkExecutable(haltLoopElf(), 'x86_64')).toEqual({ ok: true });
    expect(checkExecutable(haltLoopElf(), 'aarch64')).toMatchObject({
      ok: false,
      why: 'is built for x86_64, the Linux side is aarch64',
    });
    expect(checkExecutable(Buffer.from('#!/bin/sh\n'), 'x86_64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('it is a script'),
    });
    expect(checkExecutable(Buffer.alloc(0), 'x86_64')).toMatchObject({
      ok: false,
      why: expect.stringContaining('it is empty'),
    });
  });

  it('Firecracker versions: 1.14 or newer', () => {
    expect(checkFirecrackerVersion('Firecracker v1.14.4\n\n')).toEqual({ ok: true, version: 'v1.14.4' });
    expect(checkFirecrackerVersion('Firecracker v2.0.0')).toEqual({ ok: true, version: 'v2.0.0' });
    expect(checkFirecrackerVersion('Firecracker v1.13.1')).toMatchObject({ ok: false });
    expect(checkFirecrackerVersion('hello')).toMatchObject({ ok: false });
  });

  it('rootfs: the ext4 superblock magic of a real image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-macos-validate-'));
    try {
      const img = makeExt4(join(dir, 'r.ext4'));
      expect(checkExt4(await localHead(img))).toEqual({ ok: true });
      writeFileSync(join(dir, 'k'), haltLoopElf());
      expect(checkExt4(await localHead(join(dir, 'k')))).toMatchObject({ ok: false });
      expect(readFileSync(img).length).toBeGreaterThan(2048);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
