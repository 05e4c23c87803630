// The whole setup through the Tart provider, with the fake tart standing in for Tart: every step
// really runs inside the fake VM's sandbox (exec on this machine), the agent is started by the
// fake systemctl from the unit setup wrote, and answers on 127.0.0.1.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentReporter } from '../../src/provision/reporter.ts';
import { runSetup } from '../../src/provision/setup.ts';
import { makeTartEnv } from '../host/tart-harness.ts';
import { freePort, makeTestAssets, serveAssets } from '../support/assets.ts';
import { agentBin } from '../support/paths.ts';
import { gone, kvmProblem } from '../support/proc.ts';

const noKvm = kvmProblem();
if (noKvm) console.warn(`setup-tart skipped: ${noKvm}`);

describe.skipIf(noKvm !== null)('setup with the Tart provider (fake tart)', () => {
  it('provisions the VM over tart exec and starts the agent as a systemd unit', async () => {
    const t = await makeTartEnv();
    const root = t.vmRoot('fc-macos-linux');
    const assets = makeTestAssets(join(t.home, 'mirror'));
    const server = await serveAssets(assets.root);
    try {
      const port = await freePort();
      const provider = t.provider({
        agentPort: port,
        agentDir: join(root, 'var/lib/fc-agent'),
        unitDir: join(root, 'etc/systemd/system'),
        listenHost: '127.0.0.1',
      });
      const r = await runSetup({
        provider,
        paths: t.paths,
        vmName: 'fc-macos-linux',
        agentBundle: agentBin,
        reporter: silentReporter(),
        configUpdates: { provider: 'tart', vm_name: 'fc-macos-linux' },
        assetsUrl: server.url,
        // The mirror serves a generated kernel, not the one setup pins.
        kernelSha256: assets.kernelSha256,
        agentTimeoutMs: 20_000,
      });
      expect(r.error).toBeNull();
      expect(r.agent_url).toBe(`http://127.0.0.1:${port}`);

      const unit = readFileSync(join(root, 'etc/systemd/system/fc-agent.service'), 'utf8');
      expect(unit).toContain('Restart=always');
      expect(unit).toContain('KillMode=process');
      expect(unit).toMatch(
        new RegExp(
          `ExecStart=\\S*node \\S*/var/lib/fc-agent/bin/fc-agent.mjs --listen 127.0.0.1:${port} --token-file`,
        ),
      );
      expect(existsSync(join(root, 'var/lib/fc-agent/images/rootfs.ext4'))).toBe(true);

      const calls = t.argv();
      const execs = calls.filter((a) => a[0] === 'exec');
      // Copies go over stdin (-i) and are verified by sha256 inside the VM, as root.
      expect(
        execs.some(
          (a) => a[1] === '-i' && a[3] === 'sudo' && a[5] === 'sh' && a[9]?.endsWith('/bin/fc-agent.mjs'),
        ),
      ).toBe(true);
      expect(
        execs.some((a) => a.includes('systemctl') && a.includes('restart') && a.includes('fc-agent.service')),
      ).toBe(true);
      // Never a `--` after the VM name: Tart would pass it to the guest as the program.
      expect(execs.every((a) => !a.includes('--') || a.indexOf('--') > a.indexOf('sh'))).toBe(true);

      // Deleting the VM takes the agent with it.
      const pid = Number(
        readFileSync(join(t.home, 'vms/fc-macos-linux/services/fc-agent.service.pid'), 'utf8'),
      );
      await provider.delete();
      expect(await gone(pid)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
