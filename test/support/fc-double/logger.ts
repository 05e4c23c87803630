// Firecracker's logger: `<timestamp> [<id>:<thread>] <message>` lines, to stdout unless a log
// path is given, filtered by level. Timestamps are UTC with nanosecond digits, as Firecracker's.
import { writeSync } from 'node:fs';

export const LEVELS = ['Off', 'Error', 'Warning', 'Info', 'Debug', 'Trace'] as const;
export type Level = (typeof LEVELS)[number];

/** Parses a level like Firecracker's LevelFilter::from_str (case-insensitive, "warn" too). */
export function parseLevel(s: string): Level | undefined {
  const l = s.toLowerCase();
  if (l === 'warn') return 'Warning';
  return LEVELS.find((x) => x.toLowerCase() === l);
}

function timestamp(): string {
  const now = new Date();
  const iso = now.toISOString().slice(0, 19);
  const nanos = (now.getMilliseconds() * 1_000_000 + Number(process.hrtime.bigint() % 1_000_000n))
    .toString()
    .padStart(9, '0');
  return `${iso}.${nanos}`;
}

export class Logger {
  id = 'anonymous-instance';
  level: Level = 'Info';
  showLevel = false;
  showOrigin = false;
  private fd = 1;

  setFd(fd: number): void {
    this.fd = fd;
  }

  enabled(level: Level): boolean {
    return this.level !== 'Off' && LEVELS.indexOf(level) <= LEVELS.indexOf(this.level);
  }

  log(level: Exclude<Level, 'Off'>, thread: string, message: string): void {
    if (!this.enabled(level)) return;
    const tag = this.showLevel ? `:${level === 'Warning' ? 'WARN' : level.toUpperCase()}` : '';
    try {
      writeSync(this.fd, `${timestamp()} [${this.id}:${thread}${tag}] ${message}\n`);
    } catch {
      // A closed log target must not take the VMM down.
    }
  }

  error(thread: string, m: string): void {
    this.log('Error', thread, m);
  }
  warn(thread: string, m: string): void {
    this.log('Warning', thread, m);
  }
  info(thread: string, m: string): void {
    this.log('Info', thread, m);
  }
  debug(thread: string, m: string): void {
    this.log('Debug', thread, m);
  }
}

export const logger = new Logger();
