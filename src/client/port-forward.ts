// The client end of the agent's port-forward upgrade (src/api/network.ts PORT_FORWARD_PROTOCOL):
// one call, one TCP connection to a guest port, as a socket of plain bytes.
import type { Socket } from 'node:net';
import { PORT_FORWARD_PROTOCOL } from '../api/wire.ts';
import { describeNetworkError, errorFromAnswer } from './errors.ts';
import { requestFor } from './node-http.ts';

export interface PortForwardTarget {
  baseUrl: string;
  /** The Authorization header (empty without a token). */
  headers: Record<string, string>;
  authHint?: string;
  unreachable(reason: string): Error;
}

/** Resolves to the socket once the agent has connected to the guest (101). */
export async function openPortForward(t: PortForwardTarget, idOrName: string, port: number): Promise<Socket> {
  const url = new URL(
    `${t.baseUrl}/agent/microvms/${encodeURIComponent(idOrName)}/port-forward?port=${port}`,
  );
  const request = requestFor(url);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: {
        connection: 'Upgrade',
        upgrade: PORT_FORWARD_PROTOCOL,
        ...t.headers,
      },
    });
    req.on('upgrade', (_res, socket, head) => {
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () =>
        reject(
          errorFromAnswer(res.statusCode ?? 0, text, {
            baseUrl: t.baseUrl,
            what: `port-forward to ${idOrName}:${port}`,
            ...(t.authHint === undefined ? {} : { authHint: t.authHint }),
          }),
        ),
      );
    });
    req.on('error', (err) => reject(t.unreachable(describeNetworkError(err))));
    req.end();
  });
}
