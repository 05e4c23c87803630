import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dfSpace, StatsCollector } from '../../src/agent/stats.ts';
import {
  firecrackerVersion,
  kvmStatus,
  parseFirecrackerVersion,
  systemInfo,
} from '../../src/agent/system-info.ts';
import { type Microvm, statsResponse, versionResponse } from '../../src/api/schemas.ts';
import { VERSION } from '../../src/version.ts';
import { microvmRecord } from '../support/fixtures.ts';
import { realFirecracker } from '../support/paths.ts';

const children: ChildProcess[] = [];
let stateDir: string;

function start(argv: string[]): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  children.push(child);
  return child;
}

function microvm(id: string, pid: number | null, over: Partial<Microvm> = {}): Microvm {
  return microvmRecord({ id, name: `vm-${id}`, pid, socket_path: `/state/${id}/fc.sock`, ...over });
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fc-stats-test-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  }
  await rm(stateDir, { recursive: true, force: true });
});

describe('StatsCollector', () => {
  it('reports a busy process far above an idle one, with RSS, and sane host figures', async () => {
    const busy = start([process.execPath, '-e', 'for(;;){}']);
    const idle = start(['sleep', '300']);
    if (!busy.pid || !idle.pid) throw new Error('spawn failed');
    const collector = new StatsCollector({ stateDir, intervalMs: 300 });
    const vms = [
      microvm('busy', busy.pid),
      microvm('idle', idle.pid),
      microvm('off', null, { state: 'stopped' }),
    ];

    const first = statsResponse.parse(await collector.stats(vms));
    const second = statsResponse.parse(await collector.stats(vms));
    for (const r of [first, second]) {
      const [b, i, off] = r.microvms;
      expect(b?.cpu_percent).toBeGreaterThan((i?.cpu_percent ?? 0) * 3 + 5);
      expect(b?.rss_bytes).toBeGreaterThan(0);
      expect(i?.rss_bytes).toBeGreaterThan(0);
      expect(b?.uptime_s).toBeGreaterThanOrEqual(29);
      expect(off).toMatchObject({ id: 'off', pid: null, cpu_percent: 0, rss_bytes: 0, uptime_s: null });
      expect(r.interval_s).toBeGreaterThan(0);
      expect(r.host.cpus).toBeGreaterThan(0);
      expect(r.host.memory_total_bytes).toBeGreaterThan(r.host.memory_used_bytes);
      expect(r.host.memory_used_bytes).toBeGreaterThan(0);
      expect(r.host.disk_total_bytes).toBeGreaterThanOrEqual(r.host.disk_free_bytes);
      expect(r.host.disk_free_bytes).toBeGreaterThan(0);
      expect(r.host.load.every((l) => l >= 0)).toBe(true);
    }
  });

  it('the df fallback (Node 18 before 18.15) agrees with statfs on total size', async () => {
    const viaDf = await dfSpace(stateDir);
    const viaStatfs = (await new StatsCollector({ stateDir }).stats([])).host;
    expect(viaDf.total).toBeGreaterThan(0);
    // df counts 1K blocks: equal up to rounding.
    expect(Math.abs(viaDf.total - viaStatfs.disk_total_bytes)).toBeLessThan(1024 * 1024);
  });

  it('reports zero for a pid whose process is gone', async () => {
    const gone = start(['true']);
    if (!gone.pid) throw new Error('spawn failed');
    await new Promise((resolve) => gone.once('exit', resolve));
    const collector = new StatsCollector({ stateDir });
    const r = await collector.stats([microvm('gone', gone.pid)]);
    expect(r.microvms[0]).toMatchObject({ cpu_percent: 0, rss_bytes: 0 });
  });
});

const fc = realFirecracker();
if ('skip' in fc) console.warn(`systemInfo with the real firecracker skipped: ${fc.skip}`);

describe('systemInfo', () => {
  it.skipIf('skip' in fc)('reports the real firecracker version', async () => {
    if (!('path' in fc)) return;
    const info = versionResponse.parse(await systemInfo(fc.path));
    expect(info).toMatchObject({ agent: VERSION, firecracker: '1.14.4', firecracker_path: fc.path });
    expect(['x86_64', 'aarch64']).toContain(info.arch);
    expect(typeof info.kvm.usable).toBe('boolean');
    expect(info.kvm.detail).toContain('/dev/kvm');
  });

  it('reports null for a firecracker that does not exist or does not answer', async () => {
    expect((await systemInfo(join(stateDir, 'no-such-firecracker'))).firecracker).toBeNull();
    expect(await firecrackerVersion('/bin/false')).toBeNull();
  });

  it('parses version output', () => {
    expect(parseFirecrackerVersion('Firecracker v1.14.4\n\n')).toBe('1.14.4');
    expect(parseFirecrackerVersion('Firecracker v1.16.0-dev\n')).toBe('1.16.0-dev');
    expect(parseFirecrackerVersion('something else')).toBeNull();
  });

  it('explains a missing KVM device', async () => {
    const status = await kvmStatus(join(stateDir, 'kvm'));
    expect(status.usable).toBe(false);
    expect(status.detail).toMatch(/is missing/);
  });
});
