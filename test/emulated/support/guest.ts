// What the emulated tier's steps share: the guest's prompt, typing into a microVM's console as a user
// does (`fc-macos microvm shell`), a microVM's record as `status --json` prints it, and an HTTP GET
// made from the Mac side (inside the tier's namespace, where the Linux VM's address is reachable).
import type { Microvm } from '../../../src/api/schemas.ts';
import { runProcess } from '../../../src/host/process.ts';
import { PtySession } from '../../cli/harness.ts';
import type { EmulatedMac } from './mac.ts';

// BusyBox asks the terminal for the cursor position (ESC [ 6 n) right after each prompt; attach
// passes it through untouched, so the prompt is not the last thing on the screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is the byte BusyBox sends
export const PROMPT = /microvm:~# (?:\x1b\[6n)?$/;
// The guest's console goes through Firecracker's emulated UART, inside an emulated VM: slow.
export const BOOT_MS = 180_000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fc-macos ARGS` in a terminal, hands it to FN, then detaches with Ctrl+] (kills it on failure). */
export async function inTerminal<T>(
  mac: EmulatedMac,
  args: string[],
  fn: (term: PtySession) => Promise<T>,
): Promise<T> {
  const term = new PtySession(mac.wrapArgv(args), mac.env);
  try {
    const result = await fn(term);
    term.write('\x1d');
    await term.exited;
    return result;
  } finally {
    await term.kill();
  }
}

/** Attaches NAME's console, types INPUT, waits for WANT in what follows, detaches with Ctrl+]. */
export function typeInConsole(
  mac: EmulatedMac,
  name: string,
  input: string,
  want: RegExp,
  ms = 60_000,
): Promise<RegExpMatchArray> {
  return inTerminal(mac, ['microvm', 'shell', name], async (term) => {
    await term.waitFor(/\S/, 60_000);
    const from = term.text().length;
    term.write(input);
    return term.waitFor(want, ms, from);
  });
}

/** NAME's record, as `fc-macos microvm status NAME --json` prints it. */
export async function statusOf(mac: EmulatedMac, name: string): Promise<Microvm> {
  const r = await mac.fcm(['microvm', 'status', name, '--json']);
  if (r.exitCode !== 0) throw new Error(`microvm status ${name} failed (exit ${r.exitCode})`);
  return JSON.parse(r.stdout) as Microvm;
}

/** Polls `microvm logs NAME` until WANT shows (or the time is up); returns the last logs. */
export async function waitForLogs(
  mac: EmulatedMac,
  name: string,
  want: RegExp,
  ms = 180_000,
): Promise<string> {
  const until = Date.now() + ms;
  let logs = '';
  while (Date.now() < until && !want.test(logs)) {
    await sleep(3000);
    logs = (await mac.fcm(['microvm', 'logs', name])).stdout;
  }
  return logs;
}

/** GET URL from the Mac side (the tier's namespace): what a browser or curl on the Mac would get. */
export async function getFromMac(mac: EmulatedMac, url: string): Promise<{ status: number; body: string }> {
  const script =
    'fetch(process.argv[1], { signal: AbortSignal.timeout(30000) })' +
    '.then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))' +
    '.catch((e) => { console.error(String(e.cause ?? e)); process.exit(1); })';
  const [file, argv] = mac.net.wrap(process.execPath, ['-e', script, url]);
  const r = await runProcess(file, argv, { env: { PATH: mac.env.PATH }, timeoutMs: 60_000 });
  if (r.exitCode !== 0) return { status: 0, body: r.stderr.trim() };
  return JSON.parse(r.stdout) as { status: number; body: string };
}
