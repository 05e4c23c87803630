// Constants of the agent's wire protocols that are not JSON bodies (so no zod schema): the SDK
// imports them from here, and a command that only reads from the agent loads no zod.

/** The content type of a file tree in fc-guest's frames (docs/guest-protocol.md). */
export const GUEST_TREE_CONTENT_TYPE = 'application/vnd.fc-macos.guest-tree';

/** The first byte of an exec output message on the WebSocket (src/api/guest.ts guestExecEvent). */
export const EXEC_STDOUT = 1;
export const EXEC_STDERR = 2;

/**
 * GET /agent/microvms/:id/port-forward?port=N with `Connection: Upgrade` and this `Upgrade:`
 * token: after `101 Switching Protocols` the connection carries the bytes of one TCP connection
 * to the guest's address and port, both ways, until either side closes.
 */
export const PORT_FORWARD_PROTOCOL = 'fc-port-forward';
