// Errors of the CLI itself. Exit codes: 1 failure, 2 usage error. describe-error.ts turns any
// failure into the sentence the user sees; it is kept apart because it loads every layer's error
// classes (and with them zod), which a command that succeeds never needs.

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Wrong use of the command line: a flag value, a missing argument, a bad combination. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}

/** A failure the CLI detected itself (wrong microVM state for the command, …). */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Firecracker answered a passthrough request with an error (its fault_message). */
export class FirecrackerFaultError extends CliError {
  override readonly name = 'FirecrackerFaultError';
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
