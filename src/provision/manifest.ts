// Where downloads are cached: `assets/` in fc-macos's state dir, one file per asset id.
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';

export function assetsDir(paths: FcMacosPaths): string {
  return join(paths.stateDir, 'assets');
}
