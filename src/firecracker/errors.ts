// Typed errors for everything that can go wrong between us and a firecracker process. Each says
// which layer failed (the process, its API socket, or Firecracker refusing a request) so callers
// can tell a user whether to fix their input or restart the microVM. `name` is a field, not
// new.target.name, because the bundles are minified and would rename the classes.

/** Base class so callers can catch every Firecracker-layer failure at once. */
export abstract class FirecrackerError extends Error {
  abstract readonly code: string;
}

const NOT_RUNNING = "the microVM's firecracker process is not running";

/** A failed request: every message starts with `METHOD /path`. */
abstract class FirecrackerCallError extends FirecrackerError {
  constructor(
    readonly method: string,
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path}: ${detail}`, options);
  }
}

/** Firecracker answered with a non-2xx status. */
export class FirecrackerApiError extends FirecrackerCallError {
  override readonly name = 'FirecrackerApiError';
  readonly code = 'firecracker_api_error';
  constructor(
    method: string,
    path: string,
    readonly status: number,
    readonly faultMessage: string,
  ) {
    super(method, path, `${status} ${faultMessage}`);
  }
}

/** The API socket file does not exist: the process never started or is gone. */
export class FirecrackerSocketMissingError extends FirecrackerError {
  override readonly name = 'FirecrackerSocketMissingError';
  readonly code = 'firecracker_socket_missing';
  constructor(readonly socketPath: string) {
    super(`Firecracker API socket ${socketPath} does not exist: ${NOT_RUNNING}`);
  }
}

/** The socket file exists but nobody listens on it: the process exited (Firecracker leaves it behind). */
export class FirecrackerConnectionRefusedError extends FirecrackerError {
  override readonly name = 'FirecrackerConnectionRefusedError';
  readonly code = 'firecracker_connection_refused';
  constructor(readonly socketPath: string) {
    super(
      `Firecracker API socket ${socketPath} refused the connection: ${NOT_RUNNING} (it exited or was killed)`,
    );
  }
}

/** Where a request went: the API socket, and the request line. */
export interface SocketCall {
  socketPath: string;
  method: string;
  path: string;
}

/** The request went to the socket and no proper answer came back. */
abstract class FirecrackerTransportError extends FirecrackerCallError {
  readonly socketPath: string;
  /** `what` happened, so the process `state` ("may have died"). */
  constructor(call: SocketCall, what: string, state: string, options?: ErrorOptions) {
    super(call.method, call.path, `${what}: the microVM's firecracker process ${state}`, options);
    this.socketPath = call.socketPath;
  }
}

/** The process accepted the connection but did not answer in time. */
export class FirecrackerTimeoutError extends FirecrackerTransportError {
  override readonly name = 'FirecrackerTimeoutError';
  readonly code = 'firecracker_timeout';
  constructor(
    call: SocketCall,
    readonly timeoutMs: number,
  ) {
    super(
      call,
      `no answer from ${call.socketPath} within ${timeoutMs} ms`,
      'is not answering (hung or overloaded)',
    );
  }
}

/** Any other transport failure (connection reset mid-request, permission denied on the socket). */
export class FirecrackerConnectionError extends FirecrackerTransportError {
  override readonly name = 'FirecrackerConnectionError';
  readonly code = 'firecracker_connection_failed';
  constructor(call: SocketCall, cause: Error) {
    super(call, `talking to ${call.socketPath} failed (${cause.message})`, 'may have died', { cause });
  }
}

/** A 2xx answer whose body is not what the spec promises: a Firecracker we do not understand. */
export class FirecrackerResponseError extends FirecrackerCallError {
  override readonly name = 'FirecrackerResponseError';
  readonly code = 'firecracker_bad_response';
  constructor(method: string, path: string, detail: string) {
    super(method, path, `unexpected answer from Firecracker: ${detail}`);
  }
}

/** A typed client method was given a body Firecracker would reject; nothing was sent. */
export class FirecrackerRequestInvalidError extends FirecrackerCallError {
  override readonly name = 'FirecrackerRequestInvalidError';
  readonly code = 'firecracker_request_invalid';
  constructor(method: string, path: string, issues: string[]) {
    super(method, path, `invalid request body: ${issues.join('; ')}`);
  }
}

/** How a firecracker process that ran ended, and the last of what it wrote to stderr. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

/** The firecracker process could not be started or did not open its API socket. */
export class FirecrackerLaunchError extends FirecrackerError implements ProcessEnd {
  override readonly name = 'FirecrackerLaunchError';
  readonly code = 'firecracker_launch_failed';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
  /** `end` is absent when no process ran (missing binary, socket path taken, spawn failed). */
  constructor(message: string, end?: ProcessEnd) {
    super(message);
    this.exitCode = end?.exitCode ?? null;
    this.signal = end?.signal ?? null;
    this.stderrTail = end?.stderrTail ?? '';
  }
}
