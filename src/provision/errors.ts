// Typed errors of provisioning. Messages say what failed and which command fixes it.

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
  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
    this.name = 'ProvisionError';
  }
}

export class ChecksumMismatchError extends ProvisionError {
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
    this.name = 'ChecksumMismatchError';
  }
}
