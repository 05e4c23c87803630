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
  constructor(
    readonly code: HostErrorCode,
    message: string,
    /** What the user can do about it, when there is something. */
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'HostError';
  }
}

/** A requirement of the Mac (macOS version, chip, Tart) is not met. */
export class PreflightError extends HostError {
  constructor(
    readonly check: 'platform' | 'macos' | 'chip' | 'tart' | 'tart_version',
    message: string,
    fix: string,
  ) {
    super('preflight_failed', message, fix);
    this.name = 'PreflightError';
  }
}

/** A `tart` invocation failed; carries Tart's own exit code and message. */
export class TartError extends HostError {
  constructor(
    readonly argv: string[],
    readonly exitCode: number,
    readonly stderr: string,
    fix?: string,
  ) {
    super(
      'tart_failed',
      `tart ${argv.join(' ')} failed (exit ${exitCode}): ${stderr.trim() || '(no output)'}`,
      fix,
    );
    this.name = 'TartError';
  }
}

/** The Linux side (VM or agent daemon) is not running. */
export class HostDownError extends HostError {
  constructor(message: string, fix = 'fc-macos vm start') {
    super('host_down', message, fix);
    this.name = 'HostDownError';
  }
}

/** A command on the Linux side exited non-zero where success was required. */
export class ExecError extends HostError {
  constructor(
    readonly argv: string[],
    readonly exitCode: number,
    readonly stderr: string,
    what?: string,
  ) {
    super(
      'exec_failed',
      `${what ?? argv.join(' ')} failed on the Linux side (exit ${exitCode}): ${stderr.trim().split('\n').slice(-5).join('\n') || '(no output)'}`,
    );
    this.name = 'ExecError';
  }
}

export class KvmError extends HostError {
  constructor(message: string, fix: string) {
    super('kvm_unusable', message, fix);
    this.name = 'KvmError';
  }
}
