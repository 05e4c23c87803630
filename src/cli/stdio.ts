// `fc-macos ls | head -1`: a reader that goes away (EPIPE) is not an error of ours; every way into
// the CLI (start.ts, and the list commands' own routes) sets this first.
export function exitQuietlyOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}
