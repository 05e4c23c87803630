import { VERSION } from '../version.ts';

if (process.argv.includes('--version')) {
  process.stdout.write(`fc-agent ${VERSION}\n`);
} else {
  process.stderr.write('fc-agent: not built yet\n');
  process.exitCode = 1;
}
