// Firecracker's fault texts that more than one module needs.
export const PRE_BOOT = 'The requested operation is not supported before starting the microVM.';
export const POST_BOOT = 'The requested operation is not supported after starting the microVM.';
export const DESERIALIZE = 'An error occurred when deserializing the json body of a request';

/** A rejection: 400 and `{"fault_message": ...}`; `logAs` is how Firecracker's log shows it. */
export class Fault extends Error {
  readonly code = 'fc_fault';
  constructor(
    readonly faultMessage: string,
    /** Parse-stage errors are logged in Debug form; action errors as "Received Error...". */
    readonly logAs?: string,
    readonly status = 400,
  ) {
    super(faultMessage);
  }
}

export function notModelled(what: string): Fault {
  return new Fault(`fc-double does not model ${what}`);
}
