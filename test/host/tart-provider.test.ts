import { describe, expect, it } from 'vitest';
import { PreflightError, TartError } from '../../src/host/errors.ts';
import { findTart, tartPreflight } from '../../src/host/tart-preflight.ts';
import { macInputs, makeTartEnv } from './tart-harness.ts';

const NAME = 'fc-macos-linux';

describe('Tart preflight', () => {
  it('accepts macOS 15 on an M3 with a recent Tart', async () => {
    const t = await makeTartEnv();
    const r = await tartPreflight(macInputs(t.env));
    expect(r).toMatchObject({ tartVersion: '2.32.1', macosVersion: '15.1', chip: 'Apple M3 Pro' });
  });

  it.each([
    ['macOS 14', { macos: '14.6.1' }, 'macos', /macOS 14\.6\.1 is too old.*macOS 15/s],
    ['an M1', { chip: 'Apple M1' }, 'chip', /Apple M1.*M3 or later/s],
    ['an M2 Max', { chip: 'Apple M2 Max' }, 'chip', /Apple M2 Max/],
    ['an Intel Mac', { chip: 'Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz' }, 'chip', /Intel/],
  ])('refuses %s with the fix', async (_what, mac, check, message) => {
    const t = await makeTartEnv();
    const err = await tartPreflight(macInputs(t.env, mac)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).check).toBe(check);
    expect((err as PreflightError).message).toMatch(message);
    expect((err as PreflightError).message).toContain('fix:');
  });

  it('refuses a Tart older than 2.28.3', async () => {
    const t = await makeTartEnv({ FAKE_TART_VERSION: '2.27.1' });
    const err = (await tartPreflight(macInputs(t.env)).catch((e: unknown) => e)) as PreflightError;
    expect(err.check).toBe('tart_version');
    expect(err.message).toContain('Tart 2.27.1 is too old');
    expect(err.message).toContain('brew upgrade cirruslabs/cli/tart');
  });

  it('says how to install Tart when it is nowhere', async () => {
    const inputs = { ...macInputs({ PATH: '/nonexistent' }), exists: () => false };
    const err = (await tartPreflight(inputs).catch((e: unknown) => e)) as PreflightError;
    expect(err.check).toBe('tart');
    expect(err.message).toContain('/Applications/tart.app/Contents/MacOS/tart');
    expect(err.message).toContain('brew install cirruslabs/cli/tart');
  });

  it('finds tart on PATH, then in the app bundle and Homebrew locations', () => {
    const seen = new Set(['/opt/homebrew/bin/tart']);
    expect(findTart({ env: { PATH: '/usr/bin:/bin' }, exists: (p) => seen.has(p) })).toBe(
      '/opt/homebrew/bin/tart',
    );
    seen.add('/usr/bin/tart');
    expect(findTart({ env: { PATH: '/usr/bin:/bin' }, exists: (p) => seen.has(p) })).toBe('/usr/bin/tart');
    expect(
      findTart({ env: { FC_MACOS_TART: '/x/tart', PATH: '/usr/bin' }, exists: (p) => seen.has(p) }),
    ).toBeNull();
  });

  it('refuses Linux with a pointer to the local provider', async () => {
    const t = await makeTartEnv();
    const err = (await tartPreflight({ ...macInputs(t.env), platform: 'linux' }).catch(
      (e: unknown) => e,
    )) as PreflightError;
    expect(err.message).toContain('--provider local');
  });
});

describe('TartProvider against the fake tart', () => {
  it('creates, sizes, starts and waits for the VM with the exact tart commands', async () => {
    const t = await makeTartEnv();
    const p = t.provider();
    expect((await p.status()).state).toBe('missing');
    await p.ensureRunning();
    const calls = t.argv().filter((a) => a[0] !== '--version');
    // The detached `tart run` logs its argv whenever its process gets going, so it is checked apart.
    expect(calls.filter((a) => a[0] === 'run')).toEqual([['run', NAME, '--no-graphics', '--nested']]);
    expect(calls.filter((a) => a[0] !== 'run')).toEqual([
      ['list', '--format', 'json'],
      ['list', '--format', 'json'],
      ['clone', 'ghcr.io/cirruslabs/ubuntu:latest', NAME],
      ['set', NAME, '--cpu', '4', '--memory', '8192', '--disk-size', '50'],
      ['list', '--format', 'json'],
      ['ip', NAME, '--wait', '120'],
      ['exec', NAME, 'true'],
    ]);
    const st = await p.status();
    expect(st).toMatchObject({ state: 'running', ip: '127.0.0.1' });
    expect(await p.agentUrl()).toBe('http://127.0.0.1:8080');

    // A second ensureRunning neither clones nor starts anything.
    const before = t.argv().length;
    await p.ensureRunning();
    expect(
      t
        .argv()
        .slice(before)
        .filter((a) => a[0] === 'clone' || a[0] === 'run'),
    ).toEqual([]);

    await p.delete();
    expect(t.argv().slice(-2)).toEqual([
      ['stop', NAME, '--timeout', '30'],
      ['delete', NAME],
    ]);
    expect((await p.status()).state).toBe('missing');
  });

  it('matches the VM name exactly: fc-macos-linux-2 is not fc-macos-linux', async () => {
    const t = await makeTartEnv();
    expect((await t.tart('clone', 'ghcr.io/cirruslabs/ubuntu:latest', `${NAME}-2`)).exitCode).toBe(0);
    expect((await t.tart('clone', 'ghcr.io/cirruslabs/ubuntu:latest', `x-${NAME}`)).exitCode).toBe(0);
    const p = t.provider();
    expect((await p.status()).state).toBe('missing');
    const other = t.provider({ vmName: `${NAME}-2` });
    expect((await other.status()).state).toBe('stopped');
  });

  it('runs commands with tart exec: argv after the name, stdin only with -i, root through sudo -n', async () => {
    const t = await makeTartEnv();
    const p = t.provider();
    await p.ensureRunning();
    const r = await p.exec(['sh', '-c', 'printf "%s|" "$1"; cat', 'sh', 'a b; $(rm -rf /)'], {
      stdin: 'from stdin',
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'a b; $(rm -rf /)|from stdin' });
    expect(t.argv().at(-1)).toEqual([
      'exec',
      '-i',
      NAME,
      'sh',
      '-c',
      'printf "%s|" "$1"; cat',
      'sh',
      'a b; $(rm -rf /)',
    ]);
    const root = await p.exec(['true'], { root: true });
    expect(root.exitCode).toBe(0);
    expect(t.argv().at(-1)).toEqual(['exec', NAME, 'sudo', '-n', 'true']);
    const failing = await p.exec(['sh', '-c', 'echo oops >&2; exit 7']);
    expect(failing).toMatchObject({ exitCode: 7, stderr: 'oops\n' });
  });

  it('surfaces a failed clone with tart’s own message and a fix', async () => {
    const t = await makeTartEnv({
      FAKE_TART_FAIL: 'clone:1:failed to pull ghcr.io/cirruslabs/ubuntu:latest: 503',
    });
    const err = await t
      .provider()
      .ensureRunning()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TartError);
    expect((err as TartError).message).toContain(
      'tart clone ghcr.io/cirruslabs/ubuntu:latest fc-macos-linux failed (exit 1)',
    );
    expect((err as TartError).message).toContain('503');
    expect((err as TartError).message).toContain('fix:');
  });

  it('reports a VM that cannot start (no nested virtualization) with the run log, without waiting for an IP', async () => {
    const t = await makeTartEnv({ FAKE_TART_NO_NESTED: '1' });
    const err = (await t
      .provider()
      .ensureRunning()
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toContain('exited while the VM was starting');
    expect(err.message).toContain('Nested virtualization is available for Mac with the M3 chip, and later.');
  });

  it('the fake fails like Tart on missing VMs and wrong flags', async () => {
    const t = await makeTartEnv();
    expect(await t.tart('ip', 'nope')).toMatchObject({
      exitCode: 2,
      stderr: 'the specified VM "nope" does not exist\n',
    });
    const bad = await t.tart('set', 'nope', '--cpus', '2');
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toContain("Error: Unknown option '--cpus'");
    await t.tart('clone', 'ghcr.io/cirruslabs/ubuntu:latest', 'vm1');
    expect(await t.tart('stop', 'vm1')).toMatchObject({ exitCode: 2, stderr: 'VM "vm1" is not running\n' });
    expect(await t.tart('exec', 'vm1', 'true')).toMatchObject({ exitCode: 2 });
    const list = await t.tart('list', '--format', 'json');
    expect(list.stdout).toContain('"Name" : "ghcr.io\\/cirruslabs\\/ubuntu:latest"');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ Source: 'local', Name: 'vm1', Running: false, State: 'stopped', Disk: 20 }),
      expect.objectContaining({ Source: 'OCI', Name: 'ghcr.io/cirruslabs/ubuntu:latest' }),
    ]);
  });
});
