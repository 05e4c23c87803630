// The default rootfs build (src/provision/rootfs/build.ts) on this machine: unpack, /init, mkfs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRootfsArgv } from '../../src/provision/rootfs/build.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('default rootfs build', () => {
  it("points /sbin/init at setup's /init, so boot args without init= still run it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fcm-rootfs-'));
    dirs.push(dir);
    // A minirootfs whose /sbin/init is BusyBox's, as Alpine's is.
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'sbin'), { recursive: true });
    mkdirSync(join(tree, 'bin'));
    writeFileSync(join(tree, 'bin', 'busybox'), '');
    symlinkSync('/bin/busybox', join(tree, 'sbin', 'init'));
    execFileSync('tar', ['-czf', join(dir, 'mini.tar.gz'), '-C', tree, '.']);
    writeFileSync(join(dir, 'init.sh'), '#!/bin/sh\n');
    const out = join(dir, 'rootfs.ext4');
    const [file = '', ...args] = buildRootfsArgv({
      tarball: join(dir, 'mini.tar.gz'),
      init: join(dir, 'init.sh'),
      out,
      size: '16M',
      workDir: join(dir, 'work'),
    });
    execFileSync(file, args);
    const stat = execFileSync('debugfs', ['-R', 'stat /sbin/init', out], { encoding: 'utf8' });
    expect(stat).toMatch(/Type: symlink/);
    expect(stat).toMatch(/Fast link dest: "\/init"/);
  });
});
