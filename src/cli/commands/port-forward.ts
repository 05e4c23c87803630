// fc-macos port-forward NAME [LOCAL_PORT:]GUEST_PORT…: like kubectl port-forward. Listens on
// 127.0.0.1 here and carries each TCP connection through the agent (an authenticated HTTP
// upgrade on its port) to the guest, so it works even where this machine has no route to the
// microVM subnet. Runs until Ctrl+C.
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Command } from 'commander';
import { action } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';

export interface ForwardSpec {
  /** 0: any free port. */
  local: number;
  guest: number;
}

function portNumber(text: string, what: string, spec: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65_535 || (n === 0 && what === 'guest port')) {
    throw new UsageError(
      `port-forward: "${spec}": ${what} must be a number from ${what === 'guest port' ? 1 : 0} to 65535`,
    );
  }
  return n;
}

/** 8080:80, :80 (a free local port), 80 (the same port here). */
export function parseForward(spec: string): ForwardSpec {
  const m = /^(\d*):(\d+)$|^(\d+)$/.exec(spec);
  if (!m)
    throw new UsageError(`port-forward: "${spec}" is not [LOCAL_PORT:]GUEST_PORT (e.g. 8080:80, :80 or 80)`);
  if (m[3] !== undefined) {
    const p = portNumber(m[3], 'guest port', spec);
    return { local: p, guest: p };
  }
  return {
    local: m[1] === '' ? 0 : portNumber(m[1] ?? '', 'local port', spec),
    guest: portNumber(m[2] ?? '', 'guest port', spec),
  };
}

export function registerPortForward(program: Command): void {
  program
    .command('port-forward')
    .description('forward local ports on 127.0.0.1 to a microVM through the agent (until Ctrl+C)')
    .argument('<name>', 'the microVM')
    .argument('<ports...>', '[LOCAL_PORT:]GUEST_PORT, e.g. 8080:80, :80 (any free local port) or 80')
    // Not -v: the program's -v is --version, which commander finds anywhere on the line.
    .option('--verbose', 'print each connection (on stderr)')
    .action(
      action<{ verbose?: boolean }>(async (ctx) => {
        const { describeError } = await import('../describe-error.ts');
        const [name, specs] = ctx.args as [string, string[]];
        const forwards = specs.map(parseForward);
        const client = await ctx.client();
        const vm = await client.getMicrovm(name);
        if (!vm.network)
          throw new CliError(
            'invalid_state',
            `microVM ${vm.name} has no network (created with --network none)`,
          );
        const servers: Server[] = [];
        const open = new Set<Socket>();
        const listening: Array<{ local_address: string; local_port: number; guest_port: number }> = [];
        let seq = 0;
        try {
          for (const f of forwards) {
            const server = createServer((local) => {
              const n = ++seq;
              open.add(local);
              local.setNoDelay(true);
              local.pause();
              const from = `${local.remoteAddress}:${local.remotePort}`;
              if (ctx.opts.verbose) ctx.out.note(`#${n} ${from} -> ${vm.name}:${f.guest}`);
              client.portForward(vm.name, f.guest).then(
                (remote) => {
                  open.add(remote);
                  local.pipe(remote).pipe(local);
                  local.resume();
                  const done = (): void => {
                    local.destroy();
                    remote.destroy();
                    open.delete(local);
                    open.delete(remote);
                  };
                  let reported = false;
                  const report = (): void => {
                    if (reported || !ctx.opts.verbose) return;
                    reported = true;
                    ctx.out.note(
                      `#${n} closed (${local.bytesRead} bytes out, ${local.bytesWritten} bytes in)`,
                    );
                  };
                  local.on('close', () => {
                    report();
                    done();
                  });
                  remote.on('close', () => local.end());
                  local.on('error', done);
                  remote.on('error', done);
                },
                (err: unknown) => {
                  ctx.out.note(
                    `fc-macos: port-forward #${n} to ${vm.name}:${f.guest}: ${describeError(err).message}`,
                  );
                  local.destroy();
                  open.delete(local);
                },
              );
            });
            server.listen(f.local, '127.0.0.1');
            await Promise.race([
              once(server, 'listening'),
              once(server, 'error').then(([err]) => {
                const code = (err as NodeJS.ErrnoException).code;
                throw new CliError(
                  'port_in_use',
                  `port-forward: cannot listen on 127.0.0.1:${f.local}: ${code === 'EADDRINUSE' ? 'the port is in use (choose another LOCAL_PORT, or :GUEST_PORT for any free one)' : code}`,
                );
              }),
            ]);
            servers.push(server);
            const port = (server.address() as AddressInfo).port;
            listening.push({ local_address: '127.0.0.1', local_port: port, guest_port: f.guest });
            ctx.out.line(`Forwarding from 127.0.0.1:${port} -> ${vm.name}:${f.guest}`);
          }
          ctx.out.data({ name: vm.name, forwards: listening });
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          return 0;
        } finally {
          for (const s of servers) s.close();
          for (const s of open) s.destroy();
        }
      }),
    );
}
