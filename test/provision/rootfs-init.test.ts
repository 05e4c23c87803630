// /init is parsed by the guest's busybox sh at boot; a syntax error would leave every microVM
// without a shell. Check it with the POSIX sh here (and busybox ash when installed).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/host/process.ts';
import { INIT_SCRIPT } from '../../src/provision/rootfs/init.ts';

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
if (!busybox)
  console.warn('busybox not installed (apt-get install busybox-static): checking /init with sh only');

describe('the rootfs /init', () => {
  it('parses with sh -n', async () => {
    expect(await runProcess('sh', ['-n', '-c', INIT_SCRIPT])).toMatchObject({ exitCode: 0, stderr: '' });
  });

  it.skipIf(!busybox)('parses with busybox ash -n', async () => {
    expect(await runProcess(busybox ?? 'busybox', ['ash', '-n', '-c', INIT_SCRIPT])).toMatchObject({
      exitCode: 0,
    });
  });

  it('refuses to run as anything but PID 1', async () => {
    const r = await runProcess('sh', ['-c', INIT_SCRIPT]);
    expect(r).toMatchObject({ exitCode: 1, stderr: 'init: must run as PID 1\n' });
  });

  it('powers off through reboot -f (reboot=k makes Firecracker exit)', () => {
    expect(INIT_SCRIPT).toContain('trap shutdown USR1 USR2 TERM');
    expect(INIT_SCRIPT).toMatch(/shutdown\(\) \{[\s\S]*reboot -f/);
  });
});
