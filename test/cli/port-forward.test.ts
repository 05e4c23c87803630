// fc-macos run -p / ls / port-forward against an agent with its default network, inside a
// namespace this file makes. A TCP echo server in a second namespace, on the agent's bridge with
// the microVM's address, stands in for the guest (the Firecracker double runs no guest).
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORT_FORWARD_PROTOCOL } from '../../src/api/network.ts';
import type { Microvm } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { createNetns, type Netns, netnsProblem } from '../support/netns.ts';
import { cliBin } from '../support/paths.ts';
import { waitUntil } from '../support/proc.ts';
import { type CliEnv, cliEnv } from './harness.ts';

const problem = netnsProblem();

function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (c) => {
      got += c.toString('utf8');
      if (got.length >= text.length) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.write(text);
  });
}

describe.skipIf(problem !== null)('run -p, ls and port-forward (agent in a network namespace)', () => {
  let ns: Netns;
  let guest: Netns;
  let agent: StartedAgent;
  let cli: CliEnv;
  let vm: Microvm;
  const forwards: ChildProcess[] = [];

  beforeAll(async () => {
    ns = createNetns('pf');
    guest = createNetns('pfg');
    agent = await startAgent({ network: true, netns: ns.name });
    cli = await cliEnv(agent);
    const res = await cli.json<Microvm>([
      '--json',
      'run',
      '--background',
      '--name',
      'echo',
      '-p',
      '18080:7',
      '-p',
      '18081:9/udp',
    ]);
    expect(res.code, res.stderr).toBe(0);
    vm = res.body;
    ns.exec('ip', ['link', 'add', 'gveth', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guest.name]);
    ns.exec('ip', ['link', 'set', 'gveth', 'master', 'fcbr0', 'up']);
    guest.exec('ip', ['addr', 'add', `${vm.network?.address}/24`, 'dev', 'eth0']);
    guest.exec('ip', ['link', 'set', 'eth0', 'up']);
    guest.spawn('socat', ['TCP-LISTEN:7,fork,reuseaddr', 'EXEC:cat']);
  });

  afterAll(async () => {
    for (const f of forwards) if (f.exitCode === null) f.kill('SIGKILL');
    await cli?.cleanup();
    await agent?.stop();
    guest?.delete();
    ns?.delete();
  });

  it('run -p publishes the ports; ls and --json show address and ports', async () => {
    expect(vm.network?.ports).toEqual([
      { host_ip: null, host_port: 18080, guest_port: 7, protocol: 'tcp' },
      { host_ip: null, host_port: 18081, guest_port: 9, protocol: 'udp' },
    ]);
    const ls = await cli.run(['ls']);
    expect(ls.stdout).toMatch(
      new RegExp(
        `echo .* ${vm.network?.address.replaceAll('.', '\\.')}\\s+0\\.0\\.0\\.0:18080->7/tcp, 0\\.0\\.0\\.0:18081->9/udp`,
      ),
    );
    const bad = await cli.run(['run', '--background', '--name', 'bad', '-p', '80']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-p, --publish.*HOST_PORT:GUEST_PORT/);
    const clash = await cli.run(['run', '--background', '--name', 'clash', '-p', '18080:80']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/port 18080\/tcp is already published by microVM echo/);
  });

  it('port-forward carries TCP connections to the guest and prints each with --verbose', async () => {
    const child = spawn(process.execPath, [cliBin, 'port-forward', 'echo', ':7', '--verbose'], {
      env: cli.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    forwards.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const port = Number(
      await waitUntil(
        () => /Forwarding from 127\.0\.0\.1:(\d+) -> echo:7/.exec(out)?.[1],
        'the forwarding line',
        10_000,
      ),
    );
    expect(await echoOnce(port, 'hello through the agent')).toBe('hello through the agent');
    const big = 'x'.repeat(1_000_000);
    expect(await echoOnce(port, big)).toBe(big);
    await waitUntil(() => /#2 closed/.test(err), 'the second connection closing', 10_000);
    expect(err).toMatch(/#1 127\.0\.0\.1:\d+ -> echo:7/);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
  }, 90_000);

  it('the upgrade needs the bearer token', async () => {
    const status = (token: string | null) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${agent.url}/agent/microvms/echo/port-forward?port=7`, {
          headers: {
            connection: 'Upgrade',
            upgrade: PORT_FORWARD_PROTOCOL,
            ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          },
        });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(null)).toBe(401);
    expect(await status('wrong')).toBe(401);
    expect(await status(agent.token)).toBe(101);
  });

  it('says why when the guest refuses, and refuses a microVM without network', async () => {
    const child = spawn(process.execPath, [cliBin, 'port-forward', 'echo', ':8', '--verbose'], {
      env: cli.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    forwards.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const port = Number(
      await waitUntil(() => /127\.0\.0\.1:(\d+)/.exec(out)?.[1], 'the forwarding line', 10_000),
    );
    expect(await echoOnce(port, 'x')).toBe('');
    await waitUntil(() => /connection refused/.test(err), 'the refusal', 10_000);
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));

    expect((await cli.run(['run', '--background', '--name', 'offline', '--network', 'none'])).code).toBe(0);
    const none = await cli.run(['port-forward', 'offline', '80']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/offline has no network/);
  }, 90_000);
});
