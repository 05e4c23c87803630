// Typed errors of provisioning, all of them. Messages say what failed and which command fixes it.
import type { StepOutcome } from './runner.ts';
import type { StepId } from './state.ts';

export type ProvisionErrorCode =
  | 'download_failed'
  | 'checksum_mismatch'
  | 'asset_invalid'
  /** A file the user gave (--firecracker-bin, --kernel, --rootfs) is not what it must be: exit 2. */
  | 'file_invalid'
  | 'step_failed'
  | 'agent_unhealthy'
  | 'node_missing'
  | 'confirmation_required';

export class ProvisionError extends Error {
  override readonly name: string = 'ProvisionError';
  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
  }
}

export class ChecksumMismatchError extends ProvisionError {
  override readonly name = 'ChecksumMismatchError';
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
    fix: string,
  ) {
    super(
      'checksum_mismatch',
      `${what}: sha256 mismatch (expected ${expected}, got ${actual}); nothing was installed`,
      fix,
    );
  }
}

/** A setup step failed: which one, why (cause), and every step's outcome so far. */
export class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
  readonly code = 'step_failed';
  constructor(
    readonly step: StepId,
    override readonly cause: unknown,
    readonly outcomes: StepOutcome[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
