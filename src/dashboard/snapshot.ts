// Not a terminal: one snapshot of the same data, as text (the view's lines without colour) or as
// JSON, for scripts and logs. Reads once, like the live view does, and never changes anything.

import type { HostStatus } from '../host/provider.ts';
import { type DashboardClient, Feed } from './feed.ts';
import { headerLines, layoutFor, lineText, outageLines, row, tableHeader } from './lines.ts';
import { type DashboardData, snapshotJson, startedAt, withList, withStats } from './model.ts';
import { DashboardStore } from './store.ts';
import type { Theme } from './theme.ts';

export async function collectOnce(
  url: string,
  connect: () => Promise<DashboardClient>,
  provider: string | null,
  hostStatus?: () => Promise<HostStatus>,
): Promise<DashboardData> {
  const store = new DashboardStore(url, 0);
  const feed = new Feed(store, { connect, hostStatus });
  store.update((d) => ({ ...d, provider }));
  const host = hostStatus ? hostStatus().catch(() => null) : Promise.resolve(null);
  try {
    const client = await connect();
    const t0 = performance.now();
    await client.health();
    const rttMs = performance.now() - t0;
    const [list, stats, version] = await Promise.all([
      client.listMicrovms(),
      client.stats(),
      client.version(),
    ]);
    store.update((d) => ({
      ...withStats(withList(d, list), stats),
      live: 'events',
      agent: {
        ...d.agent,
        url: client.baseUrl,
        version,
        rttMs,
        reachable: true,
        startedAt: startedAt(version),
      },
    }));
  } catch (err) {
    const outage = await feed.outageFor(err, 1, Date.now());
    store.update((d) => ({ ...d, outage }));
  }
  const hs = await host;
  store.update((d) => ({ ...d, hostStatus: d.hostStatus ?? hs }));
  feed.stop();
  return store.get();
}

/** The snapshot as plain text lines, `columns` wide, every microVM listed. */
export function snapshotText(data: DashboardData, theme: Theme, columns: number): string {
  const layout = layoutFor(columns);
  const lines = [
    ...headerLines(data, theme, columns, ''),
    ...outageLines(data, columns, Date.now()).slice(0, 2),
  ];
  lines.push(tableHeader(data.microvms, columns, layout));
  for (const vm of data.microvms) lines.push(row(vm, data, theme, columns, layout, false, data.microvms));
  if (data.microvms.length === 0 && !data.outage) lines.push([{ t: '  no microVMs' }]);
  return `${lines.map((l) => lineText(l).trimEnd()).join('\n')}\n`;
}

export { snapshotJson };
