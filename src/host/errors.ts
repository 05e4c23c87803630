// Typed errors of the host layer. Each names the layer that is down and the command that fixes it.

export type HostErrorCode =
  | 'preflight_failed'
  | 'tart_not_found'
  | 'tart_failed'
  | 'host_down'
  | 'exec_failed'
  | 'kvm_unusable'
  | 'copy_failed'
  | 'command_not_found';

export class HostError extends Error {
  override readonly name: string = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
    /** What the user can do about it, when there is something. */
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
  }
}

/** A requirement of the Mac (macOS version, chip, Tart) is not met. */
export class PreflightError extends HostError {
  override readonly name = 'PreflightError';
  constructor(
    readonly check: 'platform' | 'macos' | 'chip' | 'tart' | 'tart_version',
    message: string,
    fix: string,
  ) {
    super('preflight_failed', message, fix);
  }
}

/** A command exited non-zero where success was required: its argv, exit code and stderr. */
abstract class CommandFailedError extends HostError {
  constructor(
    code: HostErrorCode,
    readonly argv: string[],
    readonly exitCode: number,
    readonly stderr: string,
    message: string,
    fix?: string,
  ) {
    super(code, message, fix);
  }
}

/** A `tart` invocation failed; carries Tart's own exit code and message. */
export class TartError extends CommandFailedError {
  override readonly name = 'TartError';
  constructor(argv: string[], exitCode: number, stderr: string, fix?: string) {
    const message = `tart ${argv.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || '(no output)'}`;
    super('tart_failed', argv, exitCode, stderr, message, fix);
  }
}

/** The Linux side (VM or agent daemon) is not running. */
export class HostDownError extends HostError {
  override readonly name = 'HostDownError';
  constructor(message: string, fix = 'fc-macos vm start') {
    super('host_down', message, fix);
  }
}

/** A command on the Linux side exited non-zero where success was required; `what` names it. */
export class ExecError extends CommandFailedError {
  override readonly name = 'ExecError';
  constructor(argv: string[], exitCode: number, stderr: string, what?: string) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n') || '(no output)';
    super(
      'exec_failed',
      argv,
      exitCode,
      stderr,
      `${what ?? argv.join(' ')} failed on the Linux side (exit ${exitCode}): ${tail}`,
    );
  }
}

/** /dev/kvm on the Linux side is missing or cannot be used. */
export class KvmError extends HostError {
  override readonly name = 'KvmError';
  constructor(message: string, fix: string) {
    super('kvm_unusable', message, fix);
  }
}
