// Failures talking to fc-guest, each with a stable `code`: the guest agent cannot be reached
// (no vsock device, nothing listening yet, a rootfs without fc-guest), it broke the protocol, or it
// refused the request (its own code, e.g. not_found, bad_request, unknown_user).
export class GuestError extends Error {
  override readonly name: string = 'GuestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Nothing answered on the guest agent's port: not booted yet, or no fc-guest in this rootfs. */
export class GuestUnavailableError extends GuestError {
  override readonly name = 'GuestUnavailableError';
  constructor(message: string) {
    super('guest_unavailable', message);
  }
}

/** fc-guest (or whatever answered) sent something that is not the protocol, or hung up mid-way. */
export class GuestProtocolError extends GuestError {
  override readonly name = 'GuestProtocolError';
  constructor(message: string) {
    super('guest_protocol', message);
  }
}

/** fc-guest answered with an ERROR frame; `code` is fc-guest's. */
export class GuestRemoteError extends GuestError {
  override readonly name = 'GuestRemoteError';
  constructor(code: string, message: string) {
    super(code, message);
  }
}
