// Every failure a route can answer with: an ApiError carries the HTTP status and the API's error
// code (src/api/schemas.ts errorCode), so handlers throw and the server writes one JSON shape.
import type { ErrorCode } from '../api/schemas.ts';
import {
  FirecrackerApiError,
  FirecrackerError,
  FirecrackerLaunchError,
  FirecrackerRequestInvalidError,
} from '../firecracker/index.ts';

/** The token file given with --token-file cannot be used (missing, readable by others, empty). */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  readonly code = 'token_file_invalid';
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(400, 'bad_request', message, details);
export const notFound = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(404, 'not_found', message, details);
export const conflict = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, 'conflict', message, details);
export const invalidState = (message: string, details?: Record<string, unknown>): ApiError =>
  new ApiError(409, 'invalid_state', message, details);

/**
 * Firecracker's refusal (bad config, unsupported operation) is the caller's to fix: 400 with the
 * fault text. A firecracker that is gone or does not answer is a 502: the layer below us is down.
 */
export function fromFirecrackerError(err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof FirecrackerApiError) {
    return new ApiError(400, 'firecracker_error', `${what}: Firecracker refused ${err.message}`, {
      method: err.method,
      path: err.path,
      status: err.status,
      fault_message: err.faultMessage,
    });
  }
  if (err instanceof FirecrackerRequestInvalidError) {
    return new ApiError(400, 'firecracker_error', `${what}: ${err.message}`);
  }
  if (err instanceof FirecrackerLaunchError) {
    return new ApiError(502, 'firecracker_unreachable', `${what}: ${err.message}`, {
      exit_code: err.exitCode,
      signal: err.signal,
    });
  }
  if (err instanceof FirecrackerError) {
    return new ApiError(502, 'firecracker_unreachable', `${what}: ${err.message}`, { cause: err.code });
  }
  return new ApiError(500, 'internal', `${what}: ${err instanceof Error ? err.message : String(err)}`);
}
