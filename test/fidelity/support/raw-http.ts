// Raw HTTP/1.1 over a Unix socket: the bytes the server sends come back unparsed enough to compare
// status lines, header sets and bodies exactly.
import { createConnection } from 'node:net';

export interface RawReply {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function sendRaw(socketPath: string, request: string, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms on ${socketPath}`));
    }, timeoutMs);
    const finish = (reply: RawReply) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(reply);
    };
    const tryParse = (final: boolean) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        if (final) {
          clearTimeout(timer);
          reject(new Error(`connection closed before an answer: ${JSON.stringify(buf.toString())}`));
        }
        return;
      }
      const [statusLine = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length && !final) return;
      finish({
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: buf.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on('end', () => tryParse(true));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.write(request);
  });
}

export function request(method: string, path: string, body?: string): string {
  const head = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n`;
  if (body === undefined) return `${head}\r\n`;
  return `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}
