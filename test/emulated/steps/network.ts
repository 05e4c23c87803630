// Networking (issue 21) on real aarch64 guests: each microVM online by default. The guest pings its
// gateway, reaches the Mac side through NAT, two microVMs reach each other, `-p` publishes a guest
// port at the Linux VM's address, and `port-forward` carries it to 127.0.0.1 on the Mac.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { getFromMac, statusOf } from '../support/guest.ts';
import type { EmulatedMac } from '../support/mac.ts';

/** Registers the network steps; NAME is a running microVM with the default network. */
export function networkSteps(mac: () => EmulatedMac, name: string, mirrorUrl: () => string): void {
  it('N1. the guest has its address, pings its gateway and reaches the Mac side through NAT', async () => {
    const m = mac();
    const vm = await statusOf(m, name);
    expect(vm.network?.address).toMatch(/^172\.30\.0\.\d+$/);
    const addr = await m.fcm(['exec', name, '--', 'ip', '-4', 'addr', 'show', 'eth0']);
    expect(addr.stdout).toContain(`inet ${vm.network?.address}/${vm.network?.prefix_length}`);
    const ping = await m.fcm(['exec', name, '--', 'ping', '-c', '1', '-W', '10', vm.network?.gateway ?? '?']);
    expect(ping.exitCode).toBe(0);
    // The asset mirror on the Mac side (192.168.64.1): out through the Linux VM's default route, NATed.
    const page = await m.fcm(['exec', name, '--', 'wget', '-q', '-O', '-', `${mirrorUrl()}/`]);
    expect(page.exitCode).toBe(0);
    expect(page.stdout).toContain('firecracker/');
  });

  it('N2. -p publishes a guest server at the Linux VM address; a second microVM reaches it too', async () => {
    const m = mac();
    const run = await m.fcm(['run', '-b', '--wait', '--name', 'web', '-p', '9080:80']);
    expect(run.exitCode).toBe(0);
    const serve = await m.fcm([
      ...['exec', 'web', '--', 'sh', '-c'],
      'mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && httpd -p 80 -h /tmp/www',
    ]);
    expect(serve.exitCode).toBe(0);
    const web = await statusOf(m, 'web');
    expect(web.network?.ports).toEqual([
      expect.objectContaining({ host_port: 9080, guest_port: 80, protocol: 'tcp' }),
    ]);
    const ls = await m.fcm(['ls']);
    expect(ls.stdout).toContain(web.network?.address ?? '?');
    expect(ls.stdout).toMatch(/9080->80/);

    const peer = await m.fcm([
      'exec',
      name,
      '--',
      'wget',
      '-q',
      '-O',
      '-',
      `http://${web.network?.address}/`,
    ]);
    expect(peer.stdout).toBe('hello-from-web\n');

    const ip = (await m.fcm(['vm', 'ip'])).stdout.trim();
    expect(ip).toMatch(/^192\.168\.64\.\d+$/);
    expect(await getFromMac(m, `http://${ip}:9080/`)).toEqual({ status: 200, body: 'hello-from-web\n' });
  });

  it('N3. port-forward carries 127.0.0.1 on the Mac to the guest port', async () => {
    const m = mac();
    const argv = m.wrapArgv(['port-forward', '--verbose', 'web', '18080:80']);
    const child = spawn(argv[0] as string, argv.slice(1), { env: m.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 120 && !/Forwarding from 127\.0\.0\.1:18080/.test(out); i++) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(out).toMatch(/Forwarding from 127\.0\.0\.1:18080 -> web:80/);
      expect(await getFromMac(m, 'http://127.0.0.1:18080/')).toEqual({
        status: 200,
        body: 'hello-from-web\n',
      });
      expect(await getFromMac(m, 'http://127.0.0.1:18080/')).toEqual({
        status: 200,
        body: 'hello-from-web\n',
      });
      expect(out).toMatch(/#2 .* -> web:80/);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      console.log(`port-forward output:\n${out}`);
    }
    expect(child.exitCode ?? 0).toBe(0);
  });
}
