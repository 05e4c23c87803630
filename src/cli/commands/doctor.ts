// fc-macos doctor: checks every layer and prints the fix for each problem. Exit 1 on any problem.
import type { Command } from 'commander';
import { action } from '../context.ts';
import { formatFix } from '../errors.ts';

const NOT_SET_UP = { check: 'setup', ok: false, detail: 'not set up', fix: 'fc-macos setup' };

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check every layer (host, Tart, VM, KVM, Node, Firecracker, kernel, rootfs, agent, token)')
    .action(
      action(async (ctx) => {
        // The provision layer loads when the command runs, not for --help.
        const { cliTarget } = await import('../../provision/cli-support.ts');
        const { runDoctor } = await import('../../provision/doctor.ts');
        const { paths, provider } = await cliTarget();
        const { setUp, checks } = await runDoctor(provider, paths);
        ctx.out.data(setUp ? checks : [NOT_SET_UP, ...checks]);
        if (!setUp) ctx.out.line(`not set up: run \`${NOT_SET_UP.fix}\``);
        for (const c of checks) {
          ctx.out.line(`${c.ok ? '✓' : '✗'} ${c.check.padEnd(12)} ${c.detail}`);
          if (!c.ok && c.fix) ctx.out.line(`  ${''.padEnd(12)} fix: ${formatFix(c.fix)}`);
        }
        return setUp && checks.every((c) => c.ok) ? 0 : 1;
      }),
    );
}
