// The Ink view: header, banner, list, details, status line, and the keys. Data comes from the
// store (useSyncExternalStore); what the user is doing (selection, filter, a question, the pager)
// is local state. Written with createElement so no JSX setting is needed anywhere in the build.
import { Box, type Key, Text, useInput, useStdout } from 'ink';
import {
  createElement as h,
  type ReactElement,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { Microvm } from '../api/schemas.ts';
import { type ActionKind, runAction } from './actions.ts';
import type { DashboardClient } from './feed.ts';
import {
  clip,
  detailLines,
  HINT,
  headerLines,
  KEYS,
  type Line,
  layoutFor,
  outageLines,
  row,
  tableHeader,
} from './lines.ts';
import { filtered, isRunning } from './model.ts';
import type { DashboardStore } from './store.ts';
import { rowsElement, styled } from './strips.ts';
import { GLYPHS, type Theme } from './theme.ts';

export type ExitRequest = { kind: 'quit' } | { kind: 'attach'; name: string };

export interface AppProps {
  store: DashboardStore;
  theme: Theme;
  /** The client actions use (null while the agent is down). */
  client: () => DashboardClient | null;
  onExit: (req: ExitRequest) => void;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  columns?: number;
  rows?: number;
}

type Mode =
  | { kind: 'list' }
  | { kind: 'help' }
  | { kind: 'filter' }
  | { kind: 'confirm'; action: 'kill' | 'remove'; vm: Microvm }
  | { kind: 'pager'; name: string; lines: string[]; top: number; error: string | null };

const CLEAR = '\x1b[2J\x1b[H';

/**
 * The terminal's size, following resizes. A resize first draws one blank frame, then clears the
 * whole screen, then draws the new layout: Ink only erases as many lines as it wrote, and a
 * narrower terminal re-wraps the old frame's lines into more rows than that (tmux does), which
 * left pieces of the old layout on the screen.
 */
function useSize(fixed: { columns?: number; rows?: number }): {
  columns: number;
  rows: number;
  blank: boolean;
} {
  const { stdout } = useStdout();
  const read = () => ({
    columns: fixed.columns ?? stdout.columns ?? 80,
    rows: fixed.rows ?? stdout.rows ?? 24,
  });
  const [size, setSize] = useState(read);
  const [blank, setBlank] = useState(false);
  useEffect(() => {
    if (fixed.columns && fixed.rows) return;
    const onResize = (): void => {
      setSize(read());
      setBlank(true);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  useEffect(() => {
    if (!blank) return;
    stdout.write(CLEAR);
    setBlank(false);
  }, [blank, stdout]);
  return { ...size, blank };
}

// One Text node per line, not one per segment: Ink lays out every node on every frame. The rows,
// the bulk of a frame, go through rowsElement (strips.ts), a few nodes for all of them.
function renderLine(line: Line, theme: Theme, key: string | number): ReactElement {
  return h(Text, { key, wrap: 'truncate-end' }, styled(line, theme));
}

export function App(props: AppProps): ReactElement {
  const { store, theme } = props;
  const [details, setDetails] = useState(false);
  // The details pane shows times that tick ("2m ago"): with it open every update is drawn.
  const data = useSyncExternalStore(store.subscribe, details ? store.get : store.getShown);
  const status = useSyncExternalStore(store.subscribe, store.getStatus);
  const { columns, rows, blank } = useSize(props);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [filter, setFilter] = useState('');
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  // Keys can come faster than renders (K then y in a burst): the handlers read the latest mode and
  // selection from refs, not from the render they were created in.
  const modeRef = useRef(mode);
  const setMode = (next: Mode | ((m: Mode) => Mode)): void => {
    modeRef.current = typeof next === 'function' ? next(modeRef.current) : next;
    setModeState(modeRef.current);
  };
  const cursorRef = useRef(0);
  const [tail, setTail] = useState<{ id: string; lines: string[] } | null>(null);
  const [, setTick] = useState(0);

  const list = filtered(data.microvms, filter);
  // The selection follows its microVM when rows come and go; past the end it stops at the last.
  let sel = selectedId === null ? -1 : list.findIndex((m) => m.id === selectedId);
  if (sel < 0) sel = Math.min(index, list.length - 1);
  const vm = sel >= 0 ? list[sel] : undefined;

  cursorRef.current = sel;
  const move = (to: number): void => {
    const i = Math.max(0, Math.min(list.length - 1, to));
    cursorRef.current = i;
    setIndex(i);
    setSelectedId(list[i]?.id ?? null);
  };

  // The countdown of the outage banner ticks; nothing else needs a timer (idle CPU stays near 0).
  useEffect(() => {
    if (!data.outage) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [data.outage]);

  // The details pane shows the last console lines: the record's for a stopped microVM, else a
  // read of the log's tail (a read, like everything the view does).
  const vmKey = vm ? `${vm.id}:${vm.state}` : '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch only when the microVM or its state changes
  useEffect(() => {
    if (!details || !vm) return;
    if (!liveConsole(vm)) return;
    const client = props.client();
    if (!client) return;
    let cancelled = false;
    client
      .logs(vm.id, { tail: 8 })
      .then((text) => {
        if (!cancelled) setTail({ id: vm.id, lines: text.split(/\r?\n/).filter((l) => l !== '') });
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [details, vmKey]);

  const act = (kind: ActionKind, target: Microvm): void => {
    void runAction(store, props.client(), kind, target);
  };

  const openPager = (target: Microvm): void => {
    const client = props.client();
    setMode({ kind: 'pager', name: target.name, lines: ['loading…'], top: 0, error: null });
    if (!client) {
      setMode({ kind: 'pager', name: target.name, lines: [], top: 0, error: 'the agent is not answering' });
      return;
    }
    client
      .logs(target.id, { tail: 5000 })
      .then((text) => {
        const lines = text.split(/\r?\n/);
        if (lines[lines.length - 1] === '') lines.pop();
        setMode((m) =>
          m.kind === 'pager' ? { ...m, lines, top: Math.max(0, lines.length - (rows - 3)) } : m,
        );
      })
      .catch((err: unknown) =>
        setMode((m) => (m.kind === 'pager' ? { ...m, error: (err as Error).message } : m)),
      );
  };

  const layout = layoutFor(columns);
  const header = headerLines(data, theme, columns, filter);
  const banner = outageLines(data, columns, Date.now());
  const footer = 2; // status + hint
  const sideBySide = layout === 'wide' && details && vm;
  const detailW = sideBySide ? Math.min(60, Math.floor(columns * 0.45)) : columns;
  const listW = sideBySide ? columns - detailW - 1 : columns;
  const consoleTail =
    vm && liveConsole(vm) ? (tail?.id === vm.id ? tail.lines : []) : (vm?.last_console_lines ?? []);
  const detail = details && vm ? detailLines(vm, detailW, consoleTail) : [];
  // Lines between the header and the footer, one kept free so Ink never scrolls the screen. The
  // list takes its column header and a line for the scroll indicator out of that.
  const bodyH = Math.max(3, rows - 1 - header.length - banner.length - footer);
  const stackedDetail = details && vm && !sideBySide ? Math.min(detail.length, Math.floor(bodyH / 2)) : 0;
  const listRows = Math.max(1, bodyH - 2 - stackedDetail);
  const page = listRows;
  const top = Math.max(0, Math.min(sel - Math.floor(page / 2), list.length - page));

  useInput((input, key) => {
    const plain =
      !key.ctrl && !key.meta && modeRef.current.kind === 'list' && /^[\x20-\x7e]{2,}$/.test(input);
    if (plain) for (const ch of input) onKey(ch, key);
    else onKey(input, key);
  });

  // Returns whatever the branch's call returns, only to end the branch in one line.
  function onKey(input: string, key: Key): unknown {
    const mode = modeRef.current;
    const cursor = cursorRef.current;
    if (key.ctrl && input === 'c') return props.onExit({ kind: 'quit' });
    if (mode.kind === 'help') return setMode({ kind: 'list' });
    if (mode.kind === 'filter') {
      if (key.escape) {
        setFilter('');
        setMode({ kind: 'list' });
      } else if (key.return) setMode({ kind: 'list' });
      else if (key.backspace || key.delete) setFilter((f) => f.slice(0, -1));
      else if (input && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) setFilter((f) => f + input);
      return;
    }
    if (mode.kind === 'confirm') {
      if (input === 'y' || input === 'Y') act(mode.action, mode.vm);
      else store.setStatus(`${mode.action} of ${mode.vm.name} cancelled`, 'ok');
      return setMode({ kind: 'list' });
    }
    if (mode.kind === 'pager') {
      const h1 = rows - 3;
      const max = Math.max(0, mode.lines.length - h1);
      const to = (t: number): void => setMode({ ...mode, top: Math.max(0, Math.min(max, t)) });
      if (input === 'q' || key.escape || input === 'l') return setMode({ kind: 'list' });
      if (input === 'j' || key.downArrow) return to(mode.top + 1);
      if (input === 'k' || key.upArrow) return to(mode.top - 1);
      if (key.pageDown || input === ' ') return to(mode.top + h1);
      if (key.pageUp) return to(mode.top - h1);
      if (input === 'g') return to(0);
      if (input === 'G') return to(max);
      return;
    }
    if (input === 'q' || key.escape) return props.onExit({ kind: 'quit' });
    if (input === 'j' || key.downArrow) return move(cursor + 1);
    if (input === 'k' || key.upArrow) return move(cursor - 1);
    if (input === 'g' || key.home) return move(0);
    if (input === 'G' || key.end) return move(list.length - 1);
    if (key.pageDown) return move(cursor + page);
    if (key.pageUp) return move(cursor - page);
    if (input === '?') return setMode({ kind: 'help' });
    if (input === '/') return setMode({ kind: 'filter' });
    if (key.return || input === ' ') return setDetails((d) => !d);
    const vm = list[cursor];
    if (!vm) return;
    if (input === 's') return act('stop', vm);
    if (input === 'p') return act(vm.state === 'paused' ? 'resume' : 'pause', vm);
    if (input === 'K') return setMode({ kind: 'confirm', action: 'kill', vm });
    if (input === 'd') {
      if (isRunning(vm)) {
        return store.setStatus(`${vm.name} is ${vm.state}: stop it (s) before removing it`, 'error');
      }
      return setMode({ kind: 'confirm', action: 'remove', vm });
    }
    if (input === 'a') {
      if (vm.state !== 'running' && vm.state !== 'paused') {
        return store.setStatus(
          `${vm.name} is ${vm.state}: only a running microVM has a console to attach`,
          'error',
        );
      }
      return props.onExit({ kind: 'attach', name: vm.name });
    }
    if (input === 'l') return openPager(vm);
  }

  if (blank) return h(Box);

  if (mode.kind === 'help') {
    const lines: Line[] = [[{ t: 'fc-macos dashboard: keys', bold: true }], []];
    for (const [k, what] of KEYS) lines.push([{ t: `  ${k.padEnd(19)}`, bold: true }, { t: what }]);
    lines.push([], [{ t: 'any key closes this help' }]);
    return h(
      Box,
      { flexDirection: 'column' },
      ...lines.map((l, i) => renderLine(clip(l, columns), theme, i)),
    );
  }

  if (mode.kind === 'pager') {
    const h1 = rows - 3;
    const body = mode.error ? [`error: ${mode.error}`] : mode.lines.slice(mode.top, mode.top + h1);
    const pos =
      mode.lines.length > 0
        ? `${mode.top + 1}-${Math.min(mode.lines.length, mode.top + h1)}/${mode.lines.length}`
        : '';
    return h(
      Box,
      { flexDirection: 'column' },
      renderLine(clip([{ t: `console log of ${mode.name} `, bold: true }, { t: pos }], columns), theme, 'h'),
      ...body.map((l, i) => renderLine(clip([{ t: sanitizeLine(l) }], columns), theme, i)),
      renderLine(clip([{ t: 'j/k scroll  PgUp/PgDn page  g/G top/end  q back' }], columns), theme, 'f'),
    );
  }

  const listLines: Line[] = [tableHeader(list, listW, layout)];
  if (list.length === 0) {
    listLines.push([
      {
        t:
          data.microvms.length === 0
            ? data.agent.reachable
              ? '  no microVMs: create one with `fc-macos microvm run`'
              : '  (no data yet)'
            : `  nothing matches "${filter}"`,
      },
    ]);
  }
  const visible = list.slice(top, top + listRows);
  const rowLines = visible.map((m, i) => row(m, data, theme, listW, layout, top + i === sel, list));
  const moreLines: Line[] = [];
  if (list.length > listRows) {
    const more: Seg0[] = [];
    if (top > 0) more.push({ t: `${GLYPHS.up(theme)} ${top} more  ` });
    const below = list.length - top - visible.length;
    if (below > 0) more.push({ t: `${GLYPHS.down(theme)} ${below} more` });
    moreLines.push(clip(more, listW));
  }

  let statusLine: Line;
  if (mode.kind === 'confirm') {
    const verb = mode.action === 'kill' ? 'Kill' : 'Remove';
    statusLine = [{ t: `${verb} microVM ${mode.vm.name}? (y/n)`, c: 'yellow', bold: true }];
  } else if (mode.kind === 'filter') {
    statusLine = [{ t: `filter: ${filter}_`, bold: true }, { t: '  (Enter keeps, Esc clears)' }];
  } else if (status) {
    const c = status.kind === 'error' ? 'red' : status.kind === 'ok' ? 'green' : 'yellow';
    statusLine = [{ t: status.text, c }];
  } else statusLine = [{ t: '' }];

  const listBox = h(
    Box,
    { flexDirection: 'column', width: listW },
    ...listLines.map((l, i) => renderLine(l, theme, i)),
    ...(rowLines.length > 0 ? [h(Box, { key: 'rows' }, rowsElement(rowLines, listW, theme))] : []),
    ...moreLines.map((l, i) => renderLine(l, theme, `m${i}`)),
  );
  let body: ReactElement;
  if (sideBySide) {
    body = h(
      Box,
      { flexDirection: 'row' },
      listBox,
      h(Box, { width: 1 }),
      h(
        Box,
        { flexDirection: 'column', width: detailW },
        ...detail.slice(0, bodyH).map((l, i) => renderLine(l, theme, i)),
      ),
    );
  } else if (stackedDetail > 0) {
    body = h(
      Box,
      { flexDirection: 'column' },
      listBox,
      ...detail.slice(0, stackedDetail).map((l, i) => renderLine(l, theme, `d${i}`)),
    );
  } else body = listBox;

  return h(
    Box,
    { flexDirection: 'column', width: columns },
    ...header.map((l, i) => renderLine(l, theme, `h${i}`)),
    ...banner.map((l, i) => renderLine(l, theme, `b${i}`)),
    body,
    renderLine(clip(statusLine, columns), theme, 's'),
    renderLine(clip([{ t: HINT }], columns), theme, 'k'),
  );
}

type Seg0 = Line[number];

/** A microVM whose console is still being written: its tail is read from the log, not the record. */
function liveConsole(vm: Microvm): boolean {
  return vm.last_console_lines.length === 0 && vm.state !== 'exited' && vm.state !== 'stopped';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are the point
const CSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** A console line for the pager: escapes and other control bytes dropped, tabs as spaces. */
export function sanitizeLine(l: string): string {
  // Colour and cursor sequences whole, so their parameters do not show up as text.
  return l.replace(CSI, '').replace(/\t/g, '  ').replace(CONTROL, '');
}
