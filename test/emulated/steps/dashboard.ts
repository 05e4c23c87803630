// The dashboard (issue 20) once on real guests: every layer's health from the real Linux VM and
// agent, the microVMs sorted by name with their state and address, and `q` leaving it.
import { expect, it } from 'vitest';
import { PtySession } from '../../cli/harness.ts';
import { statusOf } from '../support/guest.ts';
import { type EmulatedMac, VM_NAME } from '../support/mac.ts';

/** Registers the dashboard step; NAMES are microVMs that run at that point. */
export function dashboardSteps(mac: () => EmulatedMac, names: string[]): void {
  it('D1. the dashboard shows the real layers and microVMs, sorted, and q leaves it', async () => {
    const m = mac();
    const addresses = await Promise.all(names.map(async (n) => (await statusOf(m, n)).network?.address));
    // 120 columns: the wide layout, list and details side by side.
    const term = new PtySession(m.wrapArgv(['dashboard']), { ...m.env, PTY_SIZE: '40x120' });
    try {
      // Every layer from the real Linux VM and agent, and live figures from the real firecracker
      // processes (CPU %, RSS, uptime) on each running row.
      const screen = await frameMatching(term, [
        new RegExp(`Linux +tart ${VM_NAME} running · 2 vCPUs`),
        /Agent +● up \d+\.\d+\.\d+/,
        /FC +firecracker 1\.14\.4 · aarch64 · kvm ok/,
        ...names.map(
          (n) => new RegExp(`${n} +running +\\d+ +\\d+ MiB +\\S+ +\\d+% +\\S+ +\\d+\\.\\dM +\\d+[smhd]`),
        ),
      ]);
      console.log(`the dashboard's last frame:\n${screen}`);
      for (const a of addresses) if (a) expect(screen).toContain(a);
      const sorted = [...names].sort();
      const at = sorted.map((n) => screen.lastIndexOf(n));
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      term.write('q');
      expect(await term.exited).toBe(0);
    } finally {
      await term.kill();
    }
  });
}

/** Waits until the last frame drawn matches every pattern; returns that frame. */
async function frameMatching(term: PtySession, want: RegExp[], ms = 60_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const frame = lastFrame(term.text());
    if (want.every((re) => re.test(frame))) return frame;
    if (Date.now() > until)
      throw new Error(`the dashboard never showed ${want.join(' and ')}; last frame:\n${frame}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The text of the last frame drawn (each starts with the Linux line), without escape sequences. */
function lastFrame(out: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal escape sequences
  const text = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  return text.slice(Math.max(0, text.lastIndexOf('Linux ')));
}
