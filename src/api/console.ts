// The console protocol (docs/console-protocol.md): a WebSocket at
// GET /agent/microvms/{idOrName}/console, authenticated with the same Bearer header as every route.
// Frames are binary and carry raw serial bytes both ways: server → client first the recent history,
// then live output; client → server bytes go to the guest's serial input. Text frames from the
// client are treated as UTF-8 input too.

/** The microVM's firecracker exited; the reason is the close frame's reason text. */
export const CLOSE_MICROVM_EXITED = 4000;
/** The microVM was deleted while attached. */
export const CLOSE_MICROVM_DELETED = 4001;
/** The agent dropped a client that did not read its output fast enough. */
export const CLOSE_CLIENT_TOO_SLOW = 4002;
/** The agent is shutting down. */
export const CLOSE_AGENT_SHUTDOWN = 1001;

/** Bytes of console history a newly attached client receives first. */
export const CONSOLE_HISTORY_BYTES = 64 * 1024;
