// Structured logs: one JSON object per line on stderr, so journald keeps them whole and tools
// (and test/support/agent.ts, which reads the "listening" line) can parse them.
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type LogFields = Record<string, unknown>;

export class Logger {
  constructor(private level: LogLevel = 'info') {}

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Whether lines of this level are written (so a caller can skip building them). */
  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] > RANK[this.level]) return;
    const line: LogFields = { time: new Date().toISOString(), level, msg, ...fields };
    try {
      process.stderr.write(`${JSON.stringify(line, errorReplacer)}\n`);
    } catch {
      // stderr gone (closed pipe): logging must never take the daemon down.
    }
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}
