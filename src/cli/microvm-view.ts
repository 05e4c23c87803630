// Human views of microVMs: the list table, the status page, the summary. Pure functions of the
// API objects (plus a clock and a paint function) so their output is testable as text.
import { formatPublish } from '../api/publish.ts';
import type { Microvm, MicrovmState } from '../api/schemas.ts';
import { readableConsoleText } from './console-text.ts';
import {
  safeField as f,
  keyValues,
  mib,
  type Paint,
  relativeTime,
  shortId,
  stateColour,
  table,
} from './format.ts';

/** Stable order: by name, then id. */
export function sortMicrovms(list: Microvm[]): Microvm[] {
  return [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
}

export function isAlive(state: MicrovmState): boolean {
  return state === 'created' || state === 'running' || state === 'paused' || state === 'stopping';
}

export function describeExit(vm: Microvm): string {
  if (!vm.exit) return '';
  if (vm.exit.reason === 'host_restarted') return 'ended with the Linux side: it stopped or restarted';
  const how = vm.exit.signal
    ? vm.exit.signal
    : vm.exit.code === null
      ? 'code unknown'
      : `code ${vm.exit.code}`;
  return f(`${vm.exit.reason.replace('_', ' ')}, ${how}`);
}

export function listTable(list: Microvm[], paint: Paint, now: Date = new Date()): string {
  // Every field comes from the agent: escaped before painting (docs/cli.md, "Output").
  const rows = sortMicrovms(list).map((vm) => [
    f(vm.name),
    f(shortId(vm.id)),
    paint(stateColour(vm.state), f(vm.state)),
    String(vm.vcpus),
    mib(vm.memory_mib),
    vm.pid === null ? '-' : String(vm.pid),
    vm.network ? f(vm.network.address) : '-',
    publishedPorts(vm),
    relativeTime(vm.created_at, now),
  ]);
  return table(['NAME', 'ID', 'STATE', 'VCPUS', 'MEMORY', 'PID', 'ADDRESS', 'PORTS', 'CREATED'], rows);
}

/** Docker's form: 0.0.0.0:8080->80/tcp, sorted, comma-separated; '-' for none. */
export function publishedPorts(vm: Microvm): string {
  const ports = vm.network?.ports ?? [];
  if (ports.length === 0) return '-';
  return f(
    [...ports]
      .sort((a, b) => a.host_port - b.host_port || a.protocol.localeCompare(b.protocol))
      .map(formatPublish)
      .join(', '),
  );
}

export const STATE_ORDER: MicrovmState[] = ['running', 'paused', 'created', 'stopping', 'stopped', 'exited'];

export function countByState(list: Microvm[]): Record<MicrovmState, number> {
  const counts = Object.fromEntries(STATE_ORDER.map((s) => [s, 0])) as Record<MicrovmState, number>;
  for (const vm of list) counts[vm.state]++;
  return counts;
}

export function summaryLine(list: Microvm[]): string {
  if (list.length === 0) return 'no microVMs';
  const counts = countByState(list);
  const parts = STATE_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return `${list.length} microVM${list.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The guest agent line of `status`: ready (fc-guest answered), or why not. */
export function statusPage(vm: Microvm, paint: Paint, now: Date = new Date(), guest?: string): string {
  const when = (iso: string | null): string => (iso ? `${relativeTime(iso, now)} (${iso})` : '-');
  const pairs: Array<[string, string]> = [
    ['Name', f(vm.name)],
    ['ID', f(vm.id)],
    ['State', paint(stateColour(vm.state), f(vm.state)) + (vm.exit ? ` (${describeExit(vm)})` : '')],
    ...(guest ? [['Guest', f(guest)] as [string, string]] : []),
    ['vCPUs', `${vm.vcpus}${vm.smt ? ' (SMT)' : ''}`],
    ['Memory', mib(vm.memory_mib)],
    ['Kernel', f(vm.kernel)],
    ['Rootfs', `${f(vm.rootfs)}${vm.read_only_rootfs ? ' (read-only)' : ''}`],
    ['Boot args', f(vm.boot_args)],
  ];
  if (vm.initrd) pairs.push(['Initrd', f(vm.initrd)]);
  for (const d of vm.drives)
    pairs.push([`Drive ${f(d.id)}`, `${f(d.path)}${d.read_only ? ' (read-only)' : ''}`]);
  if (vm.balloon) pairs.push(['Balloon', `${mib(vm.balloon.amount_mib)}`]);
  const n = vm.network;
  pairs.push([
    'Network',
    n
      ? f(
          `${n.address}/${n.prefix_length} via ${n.gateway}, MAC ${n.mac}, tap ${n.tap}${n.isolated ? ', isolated' : ''}`,
        )
      : 'none',
  ]);
  if (n) pairs.push(['Ports', publishedPorts(vm)]);
  if (vm.restored_from) pairs.push(['Restored', f(vm.restored_from.note)]);
  pairs.push(
    ['PID', vm.pid === null ? '-' : String(vm.pid)],
    ['Created', when(vm.created_at)],
    ['Started', when(vm.started_at)],
  );
  if (vm.exit) pairs.push(['Exited', when(vm.exit.at)]);
  let text = keyValues(pairs);
  if (vm.last_console_lines.length > 0) {
    // Controls dropped (BusyBox's cursor query is not text), then anything left shown escaped.
    text += `\nLast console lines:\n${vm.last_console_lines.map((l) => `  ${f(readableConsoleText(l, false))}`).join('\n')}`;
  }
  return text;
}
