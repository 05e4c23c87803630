// Typed errors for everything that can go wrong between us and a firecracker process. Each says
// which layer failed (the process, its API socket, or Firecracker refusing a request) so callers
// can tell a user whether to fix their input or restart the microVM.

/** Base class so callers can catch every Firecracker-layer failure at once. */
export abstract class FirecrackerError extends Error {
  abstract readonly code: string;
}

/** Firecracker answered with a non-2xx status. */
export class FirecrackerApiError extends FirecrackerError {
  readonly code = 'firecracker_api_error';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly faultMessage: string,
  ) {
    super(`${method} ${path}: ${status} ${faultMessage}`);
    this.name = 'FirecrackerApiError';
  }
}

/** The API socket file does not exist: the process never started or is gone. */
export class FirecrackerSocketMissingError extends FirecrackerError {
  readonly code = 'firecracker_socket_missing';
  constructor(readonly socketPath: string) {
    super(
      `Firecracker API socket ${socketPath} does not exist: the microVM's firecracker process is not running`,
    );
    this.name = 'FirecrackerSocketMissingError';
  }
}

/** The socket file exists but nobody listens on it: the process exited (Firecracker leaves it behind). */
export class FirecrackerConnectionRefusedError extends FirecrackerError {
  readonly code = 'firecracker_connection_refused';
  constructor(readonly socketPath: string) {
    super(
      `Firecracker API socket ${socketPath} refused the connection: the microVM's firecracker process is not running (it exited or was killed)`,
    );
    this.name = 'FirecrackerConnectionRefusedError';
  }
}

/** The process accepted the connection but did not answer in time. */
export class FirecrackerTimeoutError extends FirecrackerError {
  readonly code = 'firecracker_timeout';
  constructor(
    readonly socketPath: string,
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${method} ${path}: no answer from ${socketPath} within ${timeoutMs} ms: the microVM's firecracker process is not answering (hung or overloaded)`,
    );
    this.name = 'FirecrackerTimeoutError';
  }
}

/** Any other transport failure (connection reset mid-request, permission denied on the socket). */
export class FirecrackerConnectionError extends FirecrackerError {
  readonly code = 'firecracker_connection_failed';
  constructor(
    readonly socketPath: string,
    readonly method: string,
    readonly path: string,
    cause: Error,
  ) {
    super(
      `${method} ${path}: talking to ${socketPath} failed (${cause.message}): the microVM's firecracker process may have died`,
      { cause },
    );
    this.name = 'FirecrackerConnectionError';
  }
}

/** A 2xx answer whose body is not what the spec promises: a Firecracker we do not understand. */
export class FirecrackerResponseError extends FirecrackerError {
  readonly code = 'firecracker_bad_response';
  constructor(
    readonly method: string,
    readonly path: string,
    detail: string,
  ) {
    super(`${method} ${path}: unexpected answer from Firecracker: ${detail}`);
    this.name = 'FirecrackerResponseError';
  }
}

/** A typed client method was given a body Firecracker would reject; nothing was sent. */
export class FirecrackerRequestInvalidError extends FirecrackerError {
  readonly code = 'firecracker_request_invalid';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly issues: string[],
  ) {
    super(`${method} ${path}: invalid request body: ${issues.join('; ')}`);
    this.name = 'FirecrackerRequestInvalidError';
  }
}

/** The firecracker process could not be started or did not open its API socket. */
export class FirecrackerLaunchError extends FirecrackerError {
  readonly code = 'firecracker_launch_failed';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = 'FirecrackerLaunchError';
  }
}
