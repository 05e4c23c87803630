// The dashboard's text, as lines of styled segments: pure functions of the data, the theme and a
// width. Every line is cut to its width here (rows never wrap), and every string that came from
// the agent or a guest goes through safeField, so no control character reaches the terminal.
import type { Microvm } from '../api/schemas.ts';
import { bytes, duration, mib, safeField } from '../cli/format.ts';
import { describeExit } from '../cli/microvm-view.ts';
import { agentUptime, counts, type DashboardData, healthOf } from './model.ts';
import { bar, type Colour, dot, GLYPHS, HEALTH_COLOUR, type Theme } from './theme.ts';

export interface Seg {
  t: string;
  c?: Colour;
  bold?: boolean;
  inverse?: boolean;
}
export type Line = Seg[];

export function lineText(line: Line): string {
  return line.map((s) => s.t).join('');
}

/** Cuts a line to `width` characters, ending in "…" when something was cut. */
export function clip(line: Line, width: number): Line {
  const out: Line = [];
  let left = Math.max(0, width);
  const total = line.reduce((n, s) => n + [...s.t].length, 0);
  if (total <= left) return line;
  left -= 1;
  for (const s of line) {
    if (left <= 0) break;
    const chars = [...s.t];
    out.push({ ...s, t: chars.slice(0, left).join('') });
    left -= Math.min(left, chars.length);
  }
  out.push({ t: '…' });
  return out;
}

function pad(s: string, w: number): string {
  const n = [...s].length;
  return n >= w ? [...s].slice(0, w).join('') : s + ' '.repeat(w - n);
}

function padStart(s: string, w: number): string {
  const n = [...s].length;
  return n >= w ? s : ' '.repeat(w - n) + s;
}

function short(n: number): string {
  // RSS in a fixed 6 columns: "123.4M", "1.2G".
  const m = n / (1024 * 1024);
  return m >= 1024 ? `${(m / 1024).toFixed(1)}G` : `${m.toFixed(1)}M`;
}

/** RSS rounded the way short() shows it, so its bar moves only when its number does. */
function shownRss(n: number): number {
  const unit = n >= 1024 ** 3 ? 1024 ** 3 / 10 : 1024 ** 2 / 10;
  return Math.round(n / unit) * unit;
}

function rttText(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/**
 * Everything of the data the header and the rows show, at the resolution they show it (CPU to
 * 1 %, RSS to 0.1 MiB, uptimes as duration() prints them). Two data with the same key draw the
 * same list, so the view skips the frame (store.getShown): a poll that changed only digits
 * nobody sees costs no render.
 */
const recordJson = new WeakMap<Microvm, string>();

/** A record as JSON, once per record object (records are replaced, never changed in place). */
function jsonOf(vm: Microvm): string {
  let j = recordJson.get(vm);
  if (j === undefined) {
    j = JSON.stringify(vm);
    recordJson.set(vm, j);
  }
  return j;
}

export function visibleKey(data: DashboardData, now: number): string {
  const a = data.agent;
  const up = agentUptime(a, now);
  const parts: string[] = [
    JSON.stringify([data.provider, data.hostStatus, data.live, data.outage]),
    JSON.stringify(
      data.host && [data.host.cpus, bytes(data.host.memory_used_bytes), bytes(data.host.memory_total_bytes)],
    ),
    data.host ? data.host.load.map((l) => l.toFixed(2)).join(' ') : '',
    JSON.stringify([a.url, a.reachable, a.version]),
    up === null ? '' : duration(up),
    a.rttMs === null ? '' : rttText(a.rttMs),
  ];
  for (const m of data.microvms) {
    const s = data.stats.get(m.id);
    parts.push(
      jsonOf(m),
      s
        ? `${Math.round(s.cpu_percent)} ${short(s.rss_bytes)} ${s.uptime_s == null ? '-' : duration(s.uptime_s)}`
        : '-',
    );
  }
  return parts.join('\n');
}

export type Layout = 'wide' | 'stacked' | 'narrow';

export function layoutFor(columns: number): Layout {
  if (columns >= 100) return 'wide';
  if (columns >= 60) return 'stacked';
  return 'narrow';
}

/** The header: the Linux side, the agent and Firecracker, the microVM counts. */
export function headerLines(data: DashboardData, theme: Theme, width: number, filter: string): Line[] {
  const sep = ` ${GLYPHS.sep(theme)} `;
  const host = data.hostStatus;
  const linux: Line = [{ t: 'Linux  ', bold: true }];
  linux.push({ t: safeField(data.provider ?? host?.provider ?? 'unknown provider') });
  if (host) {
    linux.push({ t: ` ${safeField(host.name)} ` });
    linux.push({ t: host.state, c: host.state === 'running' ? 'green' : 'red' });
  }
  if (data.host) {
    const h = data.host;
    linux.push({ t: `${sep}${h.cpus} vCPUs` });
    linux.push({ t: `${sep}mem ${bytes(h.memory_used_bytes)}/${bytes(h.memory_total_bytes)}` });
    linux.push({ t: `${sep}load ${h.load.map((l) => l.toFixed(2)).join(' ')}` });
  }

  const a = data.agent;
  const agent: Line = [{ t: 'Agent  ', bold: true }];
  if (a.reachable) {
    agent.push({ t: `${dot(theme, 'running')} up`, c: 'green' });
  } else if (data.live === 'connecting' && !data.outage) {
    agent.push({ t: 'connecting', c: 'yellow' });
  } else {
    agent.push({ t: `${dot(theme, 'failed')} DOWN`, c: 'red', bold: true });
  }
  if (a.version) agent.push({ t: ` ${safeField(a.version.agent)}` });
  const up = agentUptime(a);
  if (up !== null) agent.push({ t: `${sep}uptime ${duration(up)}` });
  if (a.rttMs !== null) agent.push({ t: `${sep}rtt ${rttText(a.rttMs)}` });
  agent.push({ t: `${sep}${safeField(a.url)}` });
  if (a.reachable) agent.push({ t: `${sep}${data.live === 'events' ? 'live events' : 'polling 2s'}` });
  const fc: Line = [{ t: 'FC     ', bold: true }];
  fc.push({ t: a.version ? `firecracker ${safeField(a.version.firecracker ?? 'version unknown')}` : '-' });
  if (a.version)
    fc.push({ t: `${sep}${safeField(a.version.arch)}${sep}kvm ${a.version.kvm.usable ? 'ok' : 'unusable'}` });

  const c = counts(data.microvms);
  const vms: Line = [{ t: `microVMs ${data.microvms.length}`, bold: true }];
  for (const [state, n] of c) {
    const health = healthOf({ state, exit: null });
    vms.push({ t: `${sep}` }, { t: `${n} ${state}`, c: HEALTH_COLOUR[health] });
  }
  if (filter !== '') vms.push({ t: `${sep}filter "${safeField(filter)}"`, bold: true });

  if (width < 60) {
    // Narrow: one line per layer, the essentials only.
    const a1: Line = [
      { t: 'agent ' },
      agent[1] ?? { t: '' },
      ...(a.rttMs !== null ? [agent[3] ?? { t: '' }] : []),
    ];
    return [vms, a1].map((l) => clip(l, width));
  }
  return [linux, agent, fc, vms].map((l) => clip(l, width));
}

/** The banner for a layer that is down: what, the fix, when the next try is. */
export function outageLines(data: DashboardData, width: number, now: number): Line[] {
  const o = data.outage;
  if (!o) return [];
  const inS = Math.max(0, Math.ceil((o.retryAt - now) / 1000));
  const what = o.layer === 'vm' ? 'LINUX VM DOWN' : 'AGENT DOWN';
  return [
    clip([{ t: `${what}: `, c: 'red', bold: true }, { t: safeField(o.message) }], width),
    clip([{ t: 'fix: ', bold: true }, { t: safeField(o.fix) }], width),
    clip([{ t: `retrying in ${inS}s (attempt ${o.attempts}); the list below is from before` }], width),
  ];
}

interface Cols {
  name: number;
  bar: number;
}

function colsFor(list: Microvm[], width: number): Cols {
  const longest = Math.max(4, ...list.map((m) => m.name.length));
  // The address column, once networking exists: its room comes out of the bars, so at 80
  // columns the address is still shown whole.
  const address = list.some((m) => m.network)
    ? Math.max(7, ...list.map((m) => m.network?.address.length ?? 1))
    : 0;
  // sel+dot 4, state 9, vcpus 4, mem 9, cpu bar+5, rss bar+7, uptime 9, plus spaces.
  const fixed = 4 + 9 + 4 + 9 + 5 + 7 + 9 + 7 + address;
  const name = Math.min(longest, 24, Math.max(8, width - fixed - 2 * 6));
  const barW = Math.max(4, Math.min(12, Math.floor((width - fixed - name) / 2)));
  return { name, bar: barW };
}

export function tableHeader(list: Microvm[], width: number, layout: Layout): Line {
  if (layout === 'narrow') return clip([{ t: '  NAME / STATE / CPU / RSS', bold: true }], width);
  const c = colsFor(list, width);
  const addr = list.some((m) => m.network) ? `${pad('UPTIME', 9)}ADDRESS` : 'UPTIME';
  const t = `    ${pad('NAME', c.name)} ${pad('STATE', 9)} ${padStart('VCPU', 4)} ${padStart('MEM', 8)}  ${pad('CPU', c.bar + 5)} ${pad('RSS', c.bar + 7)} ${addr}`;
  return clip([{ t, bold: true }], width);
}

/** One microVM row; `selected` draws it in inverse video with a ">" marker. */
export function row(
  vm: Microvm,
  data: DashboardData,
  theme: Theme,
  width: number,
  layout: Layout,
  selected: boolean,
  list: Microvm[],
): Line {
  const s = data.stats.get(vm.id);
  const health = healthOf(vm);
  const colour = HEALTH_COLOUR[health];
  const mark: Seg = { t: selected ? '> ' : '  ', inverse: selected, bold: selected };
  const name = safeField(vm.name);
  // The bars are drawn from the numbers as shown, so they change only when the numbers do.
  const cpu = s ? Math.round(s.cpu_percent) : 0;
  const rss = s ? shownRss(s.rss_bytes) : 0;
  const cpuText = s ? `${Math.round(cpu)}%` : '-';
  const rssText = s ? short(rss) : '-';
  if (layout === 'narrow') {
    return clip(
      [
        mark,
        { t: `${dot(theme, health)} `, c: colour },
        { t: `${name} `, inverse: selected },
        { t: vm.state, c: colour },
        { t: ` ${cpuText} ${rssText}` },
      ],
      width,
    );
  }
  const c = colsFor(list, width);
  // CPU: 100% = one core, the bar spans the microVM's vCPUs. RSS: the bar spans its memory.
  const [cFull, cEmpty] = bar(theme, cpu / (100 * Math.max(1, vm.vcpus)), c.bar);
  const [rFull, rEmpty] = bar(theme, rss / (vm.memory_mib * 1024 * 1024), c.bar);
  const uptime = s?.uptime_s != null ? duration(s.uptime_s) : '-';
  return clip(
    [
      mark,
      { t: `${dot(theme, health)} `, c: colour },
      { t: `${pad(name, c.name)} `, inverse: selected },
      { t: pad(vm.state, 9), c: colour },
      { t: ` ${padStart(String(vm.vcpus), 4)} ${padStart(mib(vm.memory_mib), 8)}  ` },
      { t: cFull, c: 'green' },
      { t: cEmpty, c: 'gray' },
      { t: ` ${padStart(cpuText, 4)} ` },
      { t: rFull, c: 'yellow' },
      { t: rEmpty, c: 'gray' },
      { t: ` ${padStart(rssText, 6)} ` },
      { t: list.some((m) => m.network) ? pad(uptime, 9) + safeField(vm.network?.address ?? '-') : uptime },
    ],
    width,
  );
}

/** The details of one microVM, `width` wide; `tail` are its last console lines. */
export function detailLines(vm: Microvm, width: number, tail: string[], now: Date = new Date()): Line[] {
  const when = (iso: string | null): string => {
    if (!iso) return '-';
    const s = (now.getTime() - Date.parse(iso)) / 1000;
    return `${safeField(iso)} (${duration(s)} ago)`;
  };
  const kv: Array<[string, string]> = [
    ['id', vm.id],
    ['state', vm.state + (vm.exit ? ` (${describeExit(vm)})` : '')],
    ['vcpus', `${vm.vcpus}${vm.smt ? ' (SMT)' : ''}`],
    ['memory', mib(vm.memory_mib)],
    ['kernel', vm.kernel],
    ['rootfs', `${vm.rootfs}${vm.read_only_rootfs ? ' (read-only)' : ''}`],
    ['boot args', vm.boot_args],
    ['pid', vm.pid === null ? '-' : String(vm.pid)],
    ...networkLines(vm),
    ['socket', vm.socket_path],
    ['created', when(vm.created_at)],
    ['started', when(vm.started_at)],
  ];
  if (vm.exit) {
    kv.push(
      ['exit code', vm.exit.code === null ? '-' : String(vm.exit.code)],
      ['signal', vm.exit.signal ?? '-'],
      ['reason', vm.exit.reason],
      ['exited', when(vm.exit.at)],
    );
  }
  const lines: Line[] = [[{ t: safeField(vm.name), bold: true }]];
  for (const [k, v] of kv) lines.push([{ t: `${pad(k, 10)} `, bold: true }, { t: safeField(v) }]);
  lines.push([{ t: 'last console lines', bold: true }]);
  const console = tail.length > 0 ? tail : ['(none yet)'];
  for (const l of console) lines.push([{ t: `  ${safeField(l.replace(/\r$/, ''))}` }]);
  return lines.map((l) => clip(l, width));
}

function networkLines(vm: Microvm): Array<[string, string]> {
  const n = vm.network;
  if (!n) return [['network', 'none']];
  const ports = n.ports.map((p) => `${p.host_ip ?? '*'}:${p.host_port}->${p.guest_port}/${p.protocol}`);
  return [
    ['address', `${n.address}/${n.prefix_length} via ${n.gateway}${n.isolated ? ' (isolated)' : ''}`],
    ['mac / tap', `${n.mac} / ${n.tap}`],
    ...(ports.length > 0 ? ([['ports', ports.join(' ')]] as Array<[string, string]>) : []),
  ];
}

export const KEYS: Array<[string, string]> = [
  ['j / k, ↓ / ↑', 'move the selection'],
  ['g / G, Home / End', 'first / last microVM'],
  ['PgUp / PgDn', 'one page up / down'],
  ['Enter / Space', 'show or hide the details pane'],
  ['s', 'stop the selected microVM (graceful, then kill after 10 s)'],
  ['K', 'kill it (asks y/n)'],
  ['p', 'pause it, or resume it when paused'],
  ['d', 'remove it (asks y/n; only when it is not running)'],
  ['a', 'attach its console full screen; Ctrl+] comes back'],
  ['l', 'its console log in a pager (j/k, PgUp/PgDn, g/G, q back)'],
  ['/', 'filter by name (Enter keeps it, Esc clears it)'],
  ['?', 'this help'],
  ['q, Esc, Ctrl+C', 'quit'],
];

export const HINT =
  'j/k move  ⏎ details  s stop  K kill  p pause  d remove  a attach  l log  / filter  ? help  q quit';
