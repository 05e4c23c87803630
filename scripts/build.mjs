// Bundles the CLI, the SDK and the single-file agent. The agent bundle must run on Node 18
// (Ubuntu's apt nodejs inside the Linux VM), so it targets node18 and carries its dependencies.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

// ws is CommonJS; inside an ESM bundle its require() calls need a real require.
const requireShim =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

// Ink imports React DevTools only when DEV=true; it is not a dependency, so it resolves to nothing.
const noDevtools = {
  name: 'no-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'react-devtools-core',
      namespace: 'none',
    }));
    b.onLoad({ filter: /.*/, namespace: 'none' }, () => ({ contents: 'export default undefined;' }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  sourcemap: false,
  logLevel: 'warning',
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
};

await Promise.all([
  // The dashboard's Ink and React are in this bundle, but only run when `dashboard` imports them.
  build({
    ...common,
    entryPoints: ['src/cli/bin.ts'],
    outfile: 'dist/cli.mjs',
    target: 'node20',
    plugins: [noDevtools],
  }),
  build({ ...common, entryPoints: ['src/agent/bin.ts'], outfile: 'dist/fc-agent.mjs', target: 'node18' }),
  build({
    ...common,
    banner: { js: requireShim },
    entryPoints: ['src/client/index.ts'],
    outfile: 'dist/sdk.mjs',
    target: 'node20',
  }),
]);
await chmod('dist/cli.mjs', 0o755);
await chmod('dist/fc-agent.mjs', 0o755);
