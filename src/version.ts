// package.json is the one source of the version; esbuild inlines it into each bundle.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
