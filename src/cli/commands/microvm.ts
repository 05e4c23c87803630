// microVM lifecycle: `run`, `microvm create|list|status|shell|logs|stop|rm|pause|resume`, and the
// top-level aliases `ls` and `ps` (both = `microvm list`).

import type { Command } from 'commander';
import type { Microvm, StopMicrovmResponse } from '../../api/schemas.ts';
import type { AgentClient } from '../../client/agent-client.ts';
import { attachTerminal } from '../attach.ts';
import { ReadableConsoleText, readableConsoleText } from '../console-text.ts';
import { action, type CommandContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  parseBootArgs,
  parseDrive,
  parseHostPath,
  parseMac,
  parseMemory,
  parseName,
  parseNetworkMode,
  parsePublishFlag,
  parseTail,
  parseVcpus,
} from '../flag-parsers.ts';
import { shortId } from '../format.ts';
import type { CreateFlags } from './create-request.ts';
import { listAll, registerList, views } from './list.ts';
import {
  addStopTimeout,
  type PauseOrResume,
  pauseOrResume,
  type StopFlags,
  stopLine,
  stopMicrovm,
  stopProgress,
} from './vm-ops.ts';

function addCreateFlags(cmd: Command): Command {
  return cmd
    .option(
      '--name <name>',
      'name matching [a-z0-9][a-z0-9._-]{0,62} (lowercase letters, digits, ".", "_", "-"; default: generated)',
      parseName,
    )
    .option('--vcpus <n>', 'vCPUs (1-32; default from config.yaml, else 1)', parseVcpus)
    .option('--memory <mib>', 'memory in MiB (>= 64; default from config.yaml, else 128)', parseMemory)
    .option('--kernel <path>', "guest kernel on the agent host (default: the agent's)", parseHostPath)
    .option(
      '--rootfs <path>',
      "root filesystem image on the agent host (default: a copy of the agent's)",
      parseHostPath,
    )
    .option(
      '--boot-args <args>',
      'kernel command line (default: console=ttyS0 reboot=k panic=1 pci=off)',
      parseBootArgs,
    )
    .option('--initrd <path>', 'initrd on the agent host', parseHostPath)
    .option(
      '--drive <path[:ro]>',
      'extra block device on the agent host (repeatable; ":ro" read-only)',
      parseDrive,
    )
    .option('--read-only-rootfs', 'attach the root filesystem read-only')
    .option('--smt', 'simultaneous multithreading (x86_64 only)')
    .option('--track-dirty-pages', 'track dirty pages (needed for Diff snapshots)')
    .option(
      '--network <mode>',
      "default: a tap on the agent's bridge, an address, outbound NAT; none: no network interface",
      parseNetworkMode,
    )
    .option(
      '-p, --publish <[host_ip:]host_port:guest_port[/tcp|/udp]>',
      'publish a guest port on the Linux side (repeatable; reach it at `fc-macos vm ip`, or localhost on a Linux host)',
      parsePublishFlag,
    )
    .option('--mac <mac>', "the guest's MAC address (default: derived from its address)", parseMac)
    .option('--isolated', 'no traffic to or from the other microVMs on the bridge');
}

function refuseJsonAttach(ctx: CommandContext<unknown>, what: string): void {
  if (ctx.json) {
    throw new UsageError(`${what} attaches the console, which is not JSON: use --background with --json`);
  }
}

/** "ready" when fc-guest answers (a ping: reads nothing, changes nothing), else why not. */
async function guestLine(client: AgentClient, vm: Microvm): Promise<string | undefined> {
  if (vm.state !== 'running') return undefined;
  try {
    const g = await client.guestStatus(vm.name);
    return `ready (fc-guest ${g.version}, up ${Math.round(g.uptime_ms / 1000)}s)`;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/no guest agent in this rootfs/.test(msg)) return 'none (custom rootfs)';
    return `not answering yet (${(err as { code?: string }).code ?? 'error'})`;
  }
}

export function registerMicrovm(program: Command): void {
  addCreateFlags(
    program
      .command('run')
      .description('create and boot a microVM, then attach its console (Ctrl+] detaches)')
      .option('-b, --background', 'do not attach: print the microVM and exit')
      .option('--wait', 'return (or attach) only once the guest agent answers: the guest has booted'),
  ).action(
    action<CreateFlags & { background?: boolean; wait?: boolean }>(async (ctx) => {
      if (!ctx.opts.background) refuseJsonAttach(ctx, 'run without --background');
      const req = await (await import('./create-request.ts')).createRequest(ctx.opts, true);
      const client = await ctx.client();
      const vm = await client.createMicrovm(req);
      if (ctx.opts.wait) {
        const g = await client.waitReady(vm.name, 120_000);
        ctx.out.note(`microVM ${vm.name} is ready (guest agent fc-guest ${g.version} answered)`);
      }
      if (ctx.opts.background) {
        ctx.out.data(vm);
        ctx.out.line(
          `started microVM ${vm.name} (${shortId(vm.id)}): \`fc-macos microvm shell ${vm.name}\` attaches`,
        );
        return 0;
      }
      return attachTerminal(client, vm.name);
    }),
  );

  registerList(program, 'ls', ['ps']);

  const microvm = program
    .command('microvm')
    .alias('microvms')
    .description('create, inspect and control microVMs');

  addCreateFlags(
    microvm
      .command('create')
      .description('create a microVM without booting it (state created: configure it, then `actions start`)')
      .option('--bare', 'configure nothing (no kernel, rootfs, machine config): for `snapshots load`'),
  ).action(
    action<CreateFlags>(async (ctx) => {
      const vm = await (await ctx.client()).createMicrovm(
        await (await import('./create-request.ts')).createRequest(ctx.opts, false),
      );
      ctx.out.data(vm);
      ctx.out.line(
        ctx.opts.bare
          ? `created bare microVM ${vm.name} (${shortId(vm.id)}): nothing configured, ready for \`fc-macos snapshots load ${vm.name} …\``
          : `created microVM ${vm.name} (${shortId(vm.id)}), not booted: configure it (e.g. \`fc-macos boot set ${vm.name} --kernel …\`), then \`fc-macos actions start ${vm.name}\``,
      );
      return 0;
    }),
  );

  registerList(microvm, 'list', ['ls']);

  microvm
    .command('status')
    .description('one microVM in detail, or (without NAME) a summary of all')
    .argument('[name]', 'microVM name or id (prefix)')
    .action(
      action(async (ctx) => {
        const v = await views();
        const client = await ctx.client();
        const name = ctx.args[0] as string | undefined;
        if (name) {
          const vm = await client.getMicrovm(name);
          ctx.out.data(vm);
          ctx.out.line(v.statusPage(vm, ctx.out.paint, new Date(), await guestLine(client, vm)));
          return 0;
        }
        const list = await listAll(client);
        ctx.out.data({ counts: v.countByState(list), microvms: list });
        ctx.out.line(v.summaryLine(list));
        if (list.length > 0) ctx.out.line(`\n${v.listTable(list, ctx.out.paint)}`);
        return 0;
      }),
    );

  microvm
    .command('shell')
    .alias('attach')
    .description("attach this terminal to the microVM's console (Ctrl+] detaches)")
    .argument('<name>', 'microVM name or id (prefix)')
    .action(
      action(async (ctx) => {
        refuseJsonAttach(ctx, 'microvm shell');
        return attachTerminal(await ctx.client(), ctx.args[0] as string);
      }),
    );

  microvm
    .command('logs')
    .description('console output (or firecracker.log with --firecracker)')
    .argument('<name>', 'microVM name or id (prefix)')
    .option('-f, --follow', 'keep printing new output until the microVM exits (Ctrl+C stops)')
    .option('-n, --tail <n>', 'only the last N lines (0-1000000)', parseTail)
    .option('--firecracker', "firecracker's own log instead of the console")
    .action(
      action<{ follow?: boolean; tail?: number; firecracker?: boolean }>(async (ctx) => {
        const name = ctx.args[0] as string;
        const source = ctx.opts.firecracker ? 'firecracker' : 'console';
        const client = await ctx.client();
        if (!ctx.opts.follow) {
          const text = await client.logs(name, { tail: ctx.opts.tail, source });
          if (ctx.json) ctx.out.data({ microvm: name, source, text });
          else {
            process.stdout.write(source === 'console' ? readableConsoleText(text) : text);
            if (endsMidLineOnTerminal(text.length > 0 ? text.charCodeAt(text.length - 1) : undefined))
              process.stdout.write('\n');
          }
          return 0;
        }
        if (ctx.json) throw new UsageError('microvm logs --follow streams text: leave out --json');
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const stream = await client.logs(name, {
            tail: ctx.opts.tail,
            source,
            follow: true,
            signal: stop.signal,
          });
          let lastByte: number | undefined;
          const readable = new ReadableConsoleText();
          for await (const chunk of stream) {
            const out = source === 'console' ? Buffer.from(readable.push(chunk)) : chunk;
            process.stdout.write(out);
            lastByte = out[out.length - 1] ?? lastByte;
          }
          if (endsMidLineOnTerminal(lastByte)) process.stdout.write('\n');
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        return 0;
      }),
    );

  const stop = microvm
    .command('stop')
    .description(
      'stop microVMs (the guest agent shuts the guest down; else Ctrl+Alt+Del where the architecture has it; kill after --timeout)',
    )
    .argument('[names...]', 'microVM names or ids')
    .option('-a, --all', 'every microVM that is not stopped yet')
    .option('-f, --force', 'kill at once, no graceful attempt');
  addStopTimeout(stop).action(
    action<{ all?: boolean; timeout: number } & StopFlags>(async (ctx) => {
      const v = await views();
      const given = (ctx.args[0] as string[] | undefined) ?? [];
      if (ctx.opts.all && given.length > 0)
        throw new UsageError('microvm stop: give NAMEs or --all, not both');
      if (!ctx.opts.all && given.length === 0) throw new UsageError('microvm stop: give NAMEs, or --all');
      const client = await ctx.client();
      const { describeError } = await import('../describe-error.ts');
      const names = ctx.opts.all
        ? (await listAll(client))
            .filter((vm) => v.isAlive(vm.state) && vm.state !== 'stopping')
            .map((vm) => vm.name)
        : given;
      const done = stopProgress(names, ctx.opts, ctx.json);
      const results = await Promise.allSettled(names.map((n) => stopMicrovm(client, n, ctx.opts)));
      done();
      const stopped: StopMicrovmResponse[] = [];
      const errors: Array<{ name: string; code: string; message: string }> = [];
      results.forEach((r, i) => {
        const name = names[i] ?? '';
        if (r.status === 'fulfilled') {
          stopped.push(r.value);
          ctx.out.line(stopLine(r.value, ctx.opts.timeout));
        } else {
          const d = describeError(r.reason);
          errors.push({ name, code: d.code, message: d.message });
          ctx.out.note(`fc-macos: ${d.message}`);
        }
      });
      if (ctx.opts.all && names.length === 0) ctx.out.line('no running microVMs');
      if (ctx.json) {
        ctx.out.data({
          stopped: stopped.map((r) => ({ ...r.stop, microvm: r.microvm })),
          errors,
        });
      }
      return errors.length > 0 ? 1 : 0;
    }),
  );

  microvm
    .command('kill')
    .description('kill microVMs at once (SIGKILL to firecracker; no graceful attempt)')
    .argument('<names...>', 'microVM names or ids')
    .action(
      action(async (ctx) => {
        const v = await views();
        const names = ctx.args[0] as string[];
        const client = await ctx.client();
        const { describeError } = await import('../describe-error.ts');
        const results = await Promise.allSettled(names.map((n) => client.kill(n)));
        const killed: Microvm[] = [];
        const errors: Array<{ name: string; code: string; message: string }> = [];
        results.forEach((r, i) => {
          if (r.status === 'fulfilled') {
            killed.push(r.value);
            ctx.out.line(`killed ${r.value.name} (${v.describeExit(r.value)})`);
          } else {
            const d = describeError(r.reason);
            errors.push({ name: names[i] ?? '', code: d.code, message: d.message });
            ctx.out.note(`fc-macos: ${d.message}`);
          }
        });
        ctx.out.data({ killed, errors });
        return errors.length > 0 ? 1 : 0;
      }),
    );

  microvm
    .command('rm')
    .alias('remove')
    .description('delete microVMs and their files (a running one needs --force)')
    .argument('<names...>', 'microVM names or ids')
    .option('-f, --force', 'kill a running microVM first')
    .action(
      action<{ force?: boolean }>(async (ctx) => {
        const v = await views();
        const names = ctx.args[0] as string[];
        const client = await ctx.client();
        const { describeError } = await import('../describe-error.ts');
        const removed: Microvm[] = [];
        const errors: Array<{ name: string; code: string; message: string }> = [];
        for (const name of names) {
          try {
            const vm = await client.getMicrovm(name);
            if (v.isAlive(vm.state) && !ctx.opts.force) {
              throw new CliError(
                'invalid_state',
                `microVM ${vm.name} is ${vm.state}: stop it first (\`fc-macos microvm stop ${vm.name}\`) or remove it with --force`,
              );
            }
            await client.deleteMicrovm(vm.id);
            removed.push(vm);
            ctx.out.line(`removed ${vm.name} (${shortId(vm.id)})`);
          } catch (err) {
            const d = describeError(err);
            errors.push({ name, code: d.code, message: d.message });
            ctx.out.note(`fc-macos: ${d.message}`);
          }
        }
        ctx.out.data({ removed: removed.map((vm) => ({ id: vm.id, name: vm.name })), errors });
        return errors.length > 0 ? 1 : 0;
      }),
    );

  for (const op of ['pause', 'resume'] as const satisfies PauseOrResume[]) {
    microvm
      .command(op)
      .description(op === 'pause' ? 'pause a running microVM (its vCPUs stop)' : 'resume a paused microVM')
      .argument('<name>', 'microVM name or id (prefix)')
      .action(action(async (ctx) => pauseOrResume(ctx, op, ctx.args[0] as string)));
  }
}

/**
 * A console log often ends mid-line (the guest's prompt); on a terminal the user's shell prompt
 * would land after it, so the caller adds a newline there. Pipes get the bytes exactly as logged.
 */
function endsMidLineOnTerminal(lastByte: number | undefined): boolean {
  return Boolean(process.stdout.isTTY) && lastByte !== undefined && lastByte !== 0x0a;
}
