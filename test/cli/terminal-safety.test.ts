// No untrusted control character reaches the user's terminal: a name with escapes is refused at
// creation (and the refusal does not echo it raw), and whatever an agent sends back (names, console
// lines, error messages) is printed escaped. The "agent" here is a stub that answers hostile data.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microvmRecord } from '../support/fixtures.ts';
import { type CliEnv, cliEnv } from './harness.ts';

const EVIL = '\x1b]0;pwned\x07\x1b[2J\x9b31m';
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for them
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

let server: Server;
let cli: CliEnv;

beforeAll(async () => {
  const vm = microvmRecord({
    name: `evil${EVIL}`,
    kernel: `/k${EVIL}`,
    last_console_lines: [`boot ${EVIL} done`],
  });
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.startsWith('/agent/microvms/evil')) return send(200, vm);
    if (url === '/agent/microvms') return send(200, { microvms: [vm] });
    send(409, { error: { code: 'conflict', message: `refused${EVIL}` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  cli = await cliEnv({ url: `http://127.0.0.1:${port}`, token: 't' } as never);
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await cli?.cleanup();
});

describe('names a user gives', () => {
  it('refuses a name with ANSI escapes at creation (exit 2) without echoing them raw', async () => {
    const r = await cli.run(['run', '--background', '--name', `web${EVIL}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--name.*must match/);
    expect(r.stderr).toContain('\\x1b');
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });

  it('shows the allowed pattern in --help', async () => {
    const r = await cli.run(['run', '--help']);
    expect(r.stdout).toContain('[a-z0-9][a-z0-9._-]{0,62}');
  });
});

describe('text from the agent', () => {
  it.each([
    [['microvm', 'list']],
    [['microvm', 'list', '-q']],
    [['microvm', 'status', 'evil']],
    [['microvm', 'pause', 'evil']],
  ])('fc-macos %j prints escapes, never raw control characters', async (args) => {
    const r = await cli.run(args);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(RAW_CONTROL);
    expect(`${r.stdout}${r.stderr}`).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m');
  });
});
