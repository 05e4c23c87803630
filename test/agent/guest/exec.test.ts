// fc-guest's exec, over the real protocol: the x86_64 build on this machine in its Unix-socket
// test mode, driven by the TypeScript client the agent uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestClient, GuestRemoteError } from '../../../src/agent/guest/index.ts';
import { startTestGuest, type TestGuest } from '../../support/fc-guest.ts';
import { gone, waitUntil } from '../../support/proc.ts';

let guest: TestGuest;
let client: GuestClient;

beforeAll(async () => {
  guest = await startTestGuest();
  client = new GuestClient(guest.target);
});
afterAll(async () => {
  await guest?.stop();
});

describe('fc-guest exec', () => {
  it('reports exit codes 0 and 1, and 137 for a command killed by SIGKILL', async () => {
    expect((await client.execBuffered({ argv: ['true'] })).exitCode).toBe(0);
    const fail = await client.execBuffered({ argv: ['false'] });
    expect(fail).toMatchObject({ exitCode: 1, signal: null, timedOut: false });
    const killed = await client.execBuffered({ argv: ['sh', '-c', 'kill -9 $$'] });
    expect(killed).toMatchObject({ exitCode: 137, signal: 'KILL', timedOut: false });
  });

  it('keeps stdout and stderr apart without a tty', async () => {
    const r = await client.execBuffered({ argv: ['sh', '-c', 'echo out; echo err >&2; echo out2'] });
    expect(r.stdout.toString()).toBe('out\nout2\n');
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('streams stdin until EOF', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    const r = await client.execBuffered({ argv: ['wc', '-c'], input });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString().trim()).toBe(String(input.length));
    const chunks: Buffer[] = [];
    const s2 = await client.exec(
      { argv: ['sh', '-c', 'cat; echo done'], stdin: true },
      { onStdout: (b) => chunks.push(b) },
    );
    await s2.write('line one\n');
    await s2.write('line two\n');
    await s2.end();
    expect((await s2.exit).exitCode).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe('line one\nline two\ndone\n');
  });

  it('applies env, cwd and user; stdin is /dev/null unless asked for', async () => {
    const r = await client.execBuffered({
      argv: ['sh', '-c', 'echo "$GREETING|$PATH_EXTRA|$(pwd)|$(id -u)|$USER|$HOME"; cat'],
      env: ['GREETING=hello world', 'PATH_EXTRA=x=y'],
      cwd: '/tmp',
      user: 'nobody',
    });
    expect(r.exitCode).toBe(0);
    const [greeting, extra, cwd, uid, user] = r.stdout.toString().trim().split('|');
    expect({ greeting, extra, cwd, uid, user }).toEqual({
      greeting: 'hello world',
      extra: 'x=y',
      cwd: '/tmp',
      uid: '65534',
      user: 'nobody',
    });
    const numeric = await client.execBuffered({
      argv: ['sh', '-c', 'echo $(id -u):$(id -g)'],
      user: '1234:4321',
    });
    expect(numeric.stdout.toString().trim()).toBe('1234:4321');
  });

  it('refuses an unknown user, a missing command and a bad cwd with their codes', async () => {
    await expect(client.execBuffered({ argv: ['true'], user: 'no-such-user' })).rejects.toMatchObject({
      code: 'unknown_user',
    });
    const missing = client.execBuffered({ argv: ['/no/such/command'] });
    await expect(missing).rejects.toBeInstanceOf(GuestRemoteError);
    await expect(missing).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('/no/such/command'),
    });
    await expect(client.execBuffered({ argv: ['true'], cwd: '/no/such/dir' })).rejects.toMatchObject({
      code: 'bad_cwd',
    });
    await expect(client.execBuffered({ argv: [] })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('gives a real pty with its window size, resizes it, and merges output', async () => {
    const out: Buffer[] = [];
    const s = await client.exec(
      {
        argv: ['sh', '-c', 'tty; stty size; echo to-stderr >&2; read go; stty size'],
        tty: { rows: 30, cols: 100 },
        stdin: true,
      },
      { onStdout: (b) => out.push(b), onStderr: () => expect.fail('stderr must be merged into the tty') },
    );
    await waitUntil(() => Buffer.concat(out).toString().includes('to-stderr'), 'first output');
    await s.resize(40, 120);
    await s.write('go\r');
    const exit = await s.exit;
    expect(exit.exitCode).toBe(0);
    const text = Buffer.concat(out).toString();
    expect(text).toMatch(/^\/dev\/pts\/\d+\r\n30 100\r\nto-stderr\r\n/);
    expect(text).toContain('40 120');
  });

  it('kills the command at its timeout', async () => {
    const r = await client.execBuffered({ argv: ['sleep', '30'], timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: 137, signal: 'KILL', timedOut: true });
  });

  it('forwards signals to the command', async () => {
    const out: Buffer[] = [];
    const s = await client.exec(
      { argv: ['sh', '-c', 'trap "echo got-usr1" USR1; echo ready; while :; do sleep 0.05; done'] },
      { onStdout: (b) => out.push(b) },
    );
    await waitUntil(() => Buffer.concat(out).toString().includes('ready'), 'the trap to be set');
    await s.signal('USR1');
    await waitUntil(() => Buffer.concat(out).toString().includes('got-usr1'), 'the trap to run');
    await s.signal('SIGTERM');
    expect(await s.exit).toMatchObject({ exitCode: 143, signal: 'TERM' });
  });

  it('kills the command when the client goes away', async () => {
    const out: Buffer[] = [];
    const s = await client.exec(
      { argv: ['sh', '-c', 'echo $$; exec sleep 30'] },
      { onStdout: (b) => out.push(b) },
    );
    await waitUntil(() => /\d+\n/.test(Buffer.concat(out).toString()), 'the pid');
    const pid = Number(Buffer.concat(out).toString().trim());
    s.close();
    expect(await gone(pid)).toBe(true);
  });
});
