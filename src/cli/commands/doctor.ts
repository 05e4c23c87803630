// fc-macos doctor: checks every layer and prints the fix for each problem. Exit 1 on any problem.
import type { Command } from 'commander';
import { cliTarget, printJson, reportError, wantsJson } from '../../provision/cli-support.ts';
import { runDoctor } from '../../provision/doctor.ts';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check every layer (host, Tart, VM, KVM, Node, Firecracker, kernel, rootfs, agent, token)')
    .action(async (_flags: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { paths, provider } = await cliTarget();
        const checks = await runDoctor(provider, paths);
        if (json) printJson(checks);
        else {
          for (const c of checks) {
            process.stdout.write(`${c.ok ? '✓' : '✗'} ${c.check.padEnd(12)} ${c.detail}\n`);
            if (!c.ok && c.fix) process.stdout.write(`  ${''.padEnd(12)} fix: ${c.fix}\n`);
          }
        }
        process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });
}
