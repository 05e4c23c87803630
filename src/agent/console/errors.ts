// Errors of the console layer. Each carries a stable `code` the routes can map to HTTP answers.

export class ConsoleError extends Error {
  override readonly name: string = 'ConsoleError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Nobody reads the console FIFO any more: firecracker has exited (or never started). */
export class ConsoleInputUnavailableError extends ConsoleError {
  override readonly name = 'ConsoleInputUnavailableError';
  constructor(inputPath: string, detail: string, options?: { cause?: unknown }) {
    super(
      'console_input_unavailable',
      `console input ${inputPath} has no reader (${detail}): the microVM's firecracker is not running`,
      options,
    );
  }
}

/** The FIFO stayed full: firecracker stopped reading its stdin (guest not consuming serial input). */
export class ConsoleInputBlockedError extends ConsoleError {
  override readonly name = 'ConsoleInputBlockedError';
  constructor(inputPath: string, waitedMs: number) {
    super(
      'console_input_blocked',
      `console input ${inputPath} stayed full for ${waitedMs} ms: the guest is not reading its serial input`,
    );
  }
}

/** The session was closed (microVM exited or deleted, agent shutting down). */
export class ConsoleClosedError extends ConsoleError {
  override readonly name = 'ConsoleClosedError';
  constructor(reason: string) {
    super('console_closed', `console session is closed: ${reason}`);
  }
}

/** console.log (or firecracker.log) could not be opened or read. */
export class ConsoleLogError extends ConsoleError {
  override readonly name = 'ConsoleLogError';
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super('console_log_unreadable', `cannot read ${path}: ${detail}`, options);
  }
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}
