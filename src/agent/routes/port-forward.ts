// GET /agent/microvms/:id/port-forward?port=N: one TCP connection to the guest, carried over an
// HTTP upgrade (authenticated like every route), so `fc-macos port-forward` works where the Mac
// cannot route to the microVM subnet. The agent connects first and answers 101 only once the
// guest accepted, so a refused port is an HTTP error the client can print.
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { PORT_FORWARD_PROTOCOL } from '../../api/network.ts';
import { ApiError, badRequest, invalidState } from '../errors.ts';
import type { Router } from '../http/router.ts';
import type { MicrovmManager } from '../manager.ts';
import { param, type RouteDeps } from './context.ts';

/** How long the guest gets to accept the connection. */
const CONNECT_TIMEOUT_MS = 10_000;

export function portForwardRoutes(router: Router, deps: RouteDeps): void {
  router.add('GET', '/agent/microvms/:id/port-forward', (ctx) => {
    deps.manager.resolve(param(ctx, 'id'));
    throw new ApiError(
      426,
      'bad_request',
      `port-forward is an HTTP upgrade: send "Connection: Upgrade" and "Upgrade: ${PORT_FORWARD_PROTOCOL}"`,
      undefined,
      { upgrade: PORT_FORWARD_PROTOCOL, connection: 'Upgrade' },
    );
  });
}

function guestPort(query: URLSearchParams): number {
  const raw = query.get('port') ?? '';
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n < 1 || n > 65_535) {
    throw new ApiError(400, 'validation_failed', 'port: must be a port from 1 to 65535', { field: 'port' });
  }
  return n;
}

export function portForwardUpgrade(
  manager: MicrovmManager,
  idOrName: string,
  query: URLSearchParams,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  reject: (socket: Duplex, err: ApiError) => void,
): void {
  if ((req.headers.upgrade ?? '').toLowerCase() !== PORT_FORWARD_PROTOCOL) {
    throw badRequest(`port-forward needs "Upgrade: ${PORT_FORWARD_PROTOCOL}"`);
  }
  const port = guestPort(query);
  const entry = manager.resolve(idOrName);
  const vm = entry.vm;
  if (!vm.network) {
    throw invalidState(`microVM ${vm.name} has no network (created with --network none)`);
  }
  if (!entry.alive)
    throw invalidState(`microVM ${vm.name} is ${vm.state}: only a live microVM can be reached`);
  const address = vm.network.address;
  const upstream = connect({ host: address, port, timeout: CONNECT_TIMEOUT_MS });
  let open = false;
  socket.on('error', () => upstream.destroy());
  upstream.once('timeout', () =>
    upstream.destroy(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000}s`)),
  );
  upstream.once('connect', () => {
    open = true;
    upstream.setTimeout(0);
    upstream.setNoDelay(true);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
    );
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (open) {
      socket.destroy();
      return;
    }
    reject(
      socket,
      new ApiError(
        502,
        'network_unavailable',
        `cannot connect to ${vm.name} (${address}:${port}): ${err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens on that port in the guest?)' : (err.code ?? err.message)}`,
        { address, port },
      ),
    );
  });
  upstream.on('close', () => socket.end());
  socket.on('close', () => upstream.destroy());
}
