// Firecracker's micro_http over a Unix socket, byte for byte: status lines without a reason
// phrase, `Server: Firecracker API`, keep-alive, and its own answer to unsupported methods.
import { createServer, type Server, type Socket } from 'node:net';

export interface HttpRequest {
  method: string;
  path: string;
  /** undefined when there is no body (no or zero Content-Length), as micro_http's `Option<Body>`. */
  body: Buffer | undefined;
}

export interface HttpResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

const SUPPORTED = new Set(['GET', 'PUT', 'PATCH']);

export function encodeResponse(res: HttpResponse): Buffer {
  let head = `HTTP/1.1 ${res.status} \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n`;
  for (const [k, v] of Object.entries(res.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (res.body === undefined) return Buffer.from(`${head}\r\n`);
  const body = Buffer.from(res.body);
  return Buffer.concat([
    Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`),
    body,
  ]);
}

const UNSUPPORTED_METHOD =
  '{ "error": "Invalid HTTP Method: Unsupported HTTP method.\nAll previous unanswered requests will be dropped." }';

export type Handler = (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;

/** Serves requests one at a time per connection, in order, like Firecracker's API thread. */
// Answers being computed or written. A guest reset (which ends the process) waits for them, so
// the API answer that triggered it (SendCtrlAltDel) reaches the client first, as with Firecracker.
let inFlight = 0;
let idleWaiters: Array<() => void> = [];

function settle(): void {
  inFlight -= 1;
  if (inFlight > 0) return;
  const waiters = idleWaiters;
  idleWaiters = [];
  for (const w of waiters) w();
}

/** Resolves once no answer is being computed or written. */
export function whenIdle(): Promise<void> {
  if (inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => idleWaiters.push(resolve));
}

export function serve(handler: Handler): Server {
  return createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) return;
          const head = buf.subarray(0, end).toString('latin1');
          const [requestLine = '', ...headerLines] = head.split('\r\n');
          const [method = '', target = ''] = requestLine.split(' ');
          let length = 0;
          for (const h of headerLines) {
            const i = h.indexOf(':');
            if (i > 0 && h.slice(0, i).trim().toLowerCase() === 'content-length')
              length = Number.parseInt(h.slice(i + 1).trim(), 10) || 0;
          }
          if (buf.length < end + 4 + length) return;
          const body = buf.subarray(end + 4, end + 4 + length);
          buf = buf.subarray(end + 4 + length);
          if (!SUPPORTED.has(method)) {
            sock.write(encodeResponse({ status: 400, body: UNSUPPORTED_METHOD }));
            buf = Buffer.alloc(0);
            return;
          }
          const path = target.split('?')[0] ?? '';
          inFlight += 1;
          let res: HttpResponse;
          try {
            res = await handler({ method, path, body: length > 0 ? Buffer.from(body) : undefined });
          } catch (err) {
            settle();
            throw err;
          }
          if (sock.destroyed) settle();
          else sock.write(encodeResponse(res), () => settle());
        }
      } finally {
        busy = false;
      }
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      void pump();
    });
    sock.on('error', () => sock.destroy());
  });
}
