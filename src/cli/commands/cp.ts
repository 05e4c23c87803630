// fc-macos cp SRC DST: copies files and directories in and out of a microVM through its guest
// agent, with `docker cp` conventions: NAME:/path names a path in a microVM (on exactly one side);
// a destination that is an existing directory receives the source under its own name.
import type { Command } from 'commander';
import { action } from '../context.ts';
import { UsageError } from '../errors.ts';

interface Place {
  vm: string | null;
  path: string;
}

/** NAME:/abs/path is in a microVM; anything else (./x, /x, C:\x is not a concern here) is local. */
export function parsePlace(arg: string): Place {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(.*)$/.exec(arg);
  if (!m) return { vm: null, path: arg };
  const path = m[2] ?? '';
  if (!path.startsWith('/'))
    throw new UsageError(`${arg}: the path in a microVM must be absolute (NAME:/path)`);
  return { vm: m[1] ?? '', path };
}

function human(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function registerCp(program: Command): void {
  program
    .command('cp')
    .description('copy files or directories between this machine and a microVM (NAME:/path on one side)')
    .argument('<src>', 'local path, or NAME:/path in a microVM')
    .argument('<dst>', 'local path, or NAME:/path in a microVM')
    .addHelpText(
      'after',
      '\nExamples:\n  fc-macos cp ./app vm1:/srv/        copy ./app into /srv (as /srv/app)\n  fc-macos cp vm1:/var/log/app.log .   copy a file out into the current directory',
    )
    .action(
      action(async (ctx) => {
        const src = parsePlace(ctx.args[0] as string);
        const dst = parsePlace(ctx.args[1] as string);
        if ((src.vm === null) === (dst.vm === null)) {
          throw new UsageError('cp: exactly one of SRC and DST must be NAME:/path in a microVM');
        }
        const client = await ctx.client();
        const showProgress = process.stderr.isTTY && !ctx.json;
        let last = 0;
        const onProgress = (n: number): void => {
          if (!showProgress || Date.now() - last < 100) return;
          last = Date.now();
          process.stderr.write(`\r\x1b[Kcopying… ${human(n)}`);
        };
        const r = src.vm
          ? await client.copyOut(src.vm, src.path, dst.path, { onProgress })
          : await client.copyIn(dst.vm ?? '', src.path, dst.path, { onProgress });
        if (showProgress) process.stderr.write('\r\x1b[K');
        ctx.out.data(r);
        const where = src.vm ? r.dest : `${dst.vm}:${r.dest}`;
        ctx.out.line(`copied ${r.files} file(s), ${r.dirs} dir(s), ${human(r.bytes)} to ${where}`);
        return 0;
      }),
    );
}
