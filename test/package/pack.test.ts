// The package as users install it: `npm pack` (which builds first), installed from the tarball
// into a private prefix with no network, then the two programs and the SDK, on Node 20 (this
// process's node) and Node 22 (`npx -y node@22`). It packs a copy of the checkout: prepack
// rebuilds dist/ (chunks removed and written again, fc-guest recompiled), which other test files
// are running from at the same moment.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { repoRoot } from '../support/paths.ts';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dir: string;
let tarball: string;
let installed: string;
let app: string;

async function sh(file: string, args: string[], cwd = dir, timeout = 240_000) {
  return run(file, args, {
    cwd,
    timeout,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_fund: 'false' },
  });
}

/** Runs node (this one, or Node 22 through npx) with args; returns stdout. */
async function node(version: 'this' | '22', args: string[], cwd = dir): Promise<string> {
  const r =
    version === 'this'
      ? await sh(process.execPath, args, cwd)
      : await sh('npx', ['-y', 'node@22', ...args], cwd);
  return r.stdout;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fcm-pack-'));
  const checkout = join(dir, 'checkout');
  await cp(repoRoot, checkout, {
    recursive: true,
    filter: (from) => !/\/(node_modules|dist|\.git)$/.test(from),
  });
  await symlink(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'));
  const packed = await sh(NPM, ['pack', '--json', '--pack-destination', dir], checkout, 600_000);
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const first = info[0];
  if (!first) throw new Error(`npm pack printed no package: ${packed.stdout}`);
  tarball = join(dir, first.filename);
  const prefix = join(dir, 'prefix');
  // --offline: the package has no runtime dependencies, so nothing needs the registry.
  await sh(NPM, ['install', '-g', '--offline', '--no-audit', '--prefix', prefix, tarball]);
  installed = join(prefix, 'lib', 'node_modules', 'fc-macos');
  app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), '{ "name": "app", "type": "module", "private": true }\n');
  await sh(NPM, ['install', '--offline', '--no-audit', '--no-package-lock', tarball], app);
}, 900_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds what runs (dist, the SDK types, docs, README, LICENSE) and no sources or tests', async () => {
    const { stdout } = await sh('tar', ['tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    for (const f of [
      'package/package.json',
      'package/dist/cli.cjs',
      'package/dist/cli-ls.cjs',
      'package/dist/cli.mjs',
      'package/dist/fc-agent.mjs',
      'package/dist/sdk.mjs',
      'package/dist/types/client/index.d.ts',
      'package/README.md',
      'package/LICENSE',
      'package/docs/agent-api.md',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^package\/(src|test|bench|scripts)\//.test(f))).toEqual([]);
  });

  it.each(['this', '22'] as const)(
    'runs fc-macos --help and fc-agent --version on Node %s',
    async (v) => {
      const help = await node(v, [join(installed, 'dist', 'cli.cjs'), '--help']);
      expect(help).toMatch(/^Usage: fc-macos/);
      expect(help).toContain('microvm');
      expect((await node(v, [join(installed, 'dist', 'fc-agent.mjs'), '--version'])).trim()).toBe(
        `fc-agent ${VERSION}`,
      );
    },
    300_000,
  );

  it('installs the programs on the PATH of the prefix', async () => {
    const { stdout } = await sh(join(dir, 'prefix', 'bin', 'fc-macos'), ['--version']);
    expect(stdout.trim()).toBe(VERSION);
  });

  it.each(['this', '22'] as const)(
    'imports the SDK on Node %s',
    async (v) => {
      const out = await node(
        v,
        [
          '--input-type=module',
          '-e',
          "import * as sdk from 'fc-macos'; const c = new sdk.AgentClient({ baseUrl: 'http://127.0.0.1:1/' }); console.log(typeof sdk.AgentClient, c.baseUrl, typeof sdk.firecrackerSchemas.bootSource.parse);",
        ],
        app,
      );
      expect(out.trim()).toBe('function http://127.0.0.1:1 function');
    },
    300_000,
  );

  it('type-checks a program against the SDK types, and refuses a wrong call', async () => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const config = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['main.ts'],
    };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify(config));
    await writeFile(
      join(app, 'main.ts'),
      [
        "import { AgentClient, type AgentClientOptions, AgentUnreachableError } from 'fc-macos';",
        "const opts: AgentClientOptions = { baseUrl: 'http://127.0.0.1:8080', timeoutMs: 1000 };",
        'const client: AgentClient = new AgentClient(opts);',
        'export const base: string = client.baseUrl;',
        'export const isError = (e: unknown): boolean => e instanceof AgentUnreachableError;',
        '',
      ].join('\n'),
    );
    await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    await writeFile(
      join(app, 'main.ts'),
      "import { AgentClient } from 'fc-macos';\nexport const c = new AgentClient({ baseUrl: 42 });\n",
    );
    const bad = await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app).then(
      () => null,
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    expect(bad).toMatch(/main\.ts.*error TS2322/);
  }, 300_000);
});
