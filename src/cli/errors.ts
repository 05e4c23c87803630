// Errors of the CLI itself and the one place that turns any failure into the sentence the user
// sees (and the JSON error object in --json mode). Exit codes: 1 failure, 2 usage error.
import { AgentApiError, AgentClientError } from '../client/errors.ts';
import { ConfigError } from '../config/errors.ts';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Wrong use of the command line: a flag value, a missing argument, a bad combination. */
export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the CLI detected itself (wrong microVM state for the command, …). */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Firecracker answered a passthrough request with an error (its fault_message). */
export class FirecrackerFaultError extends CliError {
  constructor(
    readonly microvm: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly faultMessage: string,
  ) {
    super(
      'firecracker_error',
      `Firecracker refused ${method} ${path} on microVM ${microvm}: ${faultMessage.replace(/\.$/, '')}${faultHint(faultMessage, microvm, path)}`,
    );
    this.name = 'FirecrackerFaultError';
  }
}

function faultHint(fault: string, name: string, path: string): string {
  // Firecracker's balloon faults name the device error, not what the user can do about it.
  if (path.startsWith('/balloon')) {
    if (/device not found|no balloon device/i.test(fault)) {
      return ` (microVM ${name} has no balloon: add one before boot with \`fc-macos balloon set ${name} --amount MiB\`)`;
    }
    if (/stats are disabled|cannot be enabled\/disabled after activation/i.test(fault)) {
      return ' (balloon statistics are switched on or off only before boot: `fc-macos balloon set … --stats-interval S`)';
    }
  }
  if (/not supported after starting/i.test(fault)) {
    return ` (this is only possible before boot: create the microVM with \`fc-macos microvm create\`, configure it, then boot it with \`fc-macos actions start ${name}\`)`;
  }
  if (/not supported before starting/i.test(fault)) {
    return ` (the microVM is not booted yet: boot it with \`fc-macos actions start ${name}\`)`;
  }
  if (/snapshot not allowed after configuring/i.test(fault)) {
    return ' (a snapshot loads only into a firecracker with nothing configured: `fc-macos microvm create --bare` makes one)';
  }
  return '';
}

// The programs a fix can start with; anything else is a sentence (which quotes its commands).
const COMMAND = /^(fc-macos|sudo|tart|brew|modprobe|npm|apt-get|ls|rm|chmod|systemctl|journalctl)( |$)/;

/**
 * A fix as the user reads it: a bare command becomes "run `COMMAND`"; a sentence stays as it is
 * (it puts its commands in backticks itself).
 */
export function formatFix(fix: string): string {
  const command = COMMAND.test(fix) && !/[,;]| \(|: /.test(fix);
  return command ? `run \`${fix}\`` : fix;
}

export interface ErrorReport {
  code: string;
  message: string;
  exitCode: number;
}

/** The code, the one-sentence message and the exit code for any thrown value. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof UsageError) return { code: err.code, message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof AgentApiError) {
    let message = err.message;
    if (err.code === 'not_found' && /microvm/i.test(message) && !/fc-macos/.test(message)) {
      message = `${message.replace(/\.$/, '')}: \`fc-macos microvm list\` shows the microVMs`;
    }
    const taken = err.details?.name;
    if (err.code === 'conflict' && typeof taken === 'string' && /already exists/.test(message)) {
      message = `${message.replace(/\.$/, '')}: remove it with \`fc-macos microvm rm --force ${taken}\`, or pick another --name`;
    }
    if (err.code === 'validation_failed' || err.code === 'bad_request') {
      message = `the agent refused the request: ${message}`;
    }
    return { code: err.code, message, exitCode: EXIT_FAILURE };
  }
  if (err instanceof AgentClientError || err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: EXIT_FAILURE };
  }
  const fix = (err as { fix?: unknown } | null)?.fix;
  if (err instanceof Error && typeof fix === 'string' && fix !== '') {
    // Host and provision errors carry their fix on a second line; the CLI says it in one sentence.
    const first = (err.message.split('\n  fix:')[0] ?? err.message).replace(/\.$/, '');
    const code = (err as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'internal',
      message: `${first}: ${formatFix(fix)}`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (err instanceof ConfigError) {
    return {
      code: err.code,
      message: `${err.message} (fix the file, or run \`fc-macos setup\`)`,
      exitCode: 1,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'internal', message, exitCode: EXIT_FAILURE };
}
