// Not a terminal: `fc-macos dashboard` prints one snapshot (text or --json) and exits, against a
// real agent with the Firecracker double; with the agent gone it still prints, names the layer
// and the fix, and exits 1.
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, cliEnv } from '../cli/harness.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';

let agent: StartedAgent;
let cli: CliEnv;

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
  for (const name of ['zeta', 'alpha']) {
    const r = await agent.fetch('/agent/microvms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(r.status).toBe(201);
  }
});

afterAll(async () => {
  await cli?.cleanup();
  await agent?.stop();
});

describe('fc-macos dashboard without a terminal', () => {
  it('prints one snapshot, sorted, without escapes, and exits 0', async () => {
    const r = await cli.run(['dashboard']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^Agent {2}\+ up \S+ .*live events/);
    expect(r.stdout).toContain('microVMs 2 · 2 running');
    const rows = lines.filter((l) => /^ {2}\+ /.test(l)).map((l) => l.split(/\s+/)[2]);
    expect(rows).toEqual(['alpha', 'zeta']);
  });

  it('--json prints the same data', async () => {
    const { code, body } = await cli.json<{
      agent: { reachable: boolean; url: string; uptime_s: number | null };
      counts: Record<string, number>;
      microvms: Array<{ name: string; state: string; rss_bytes: number | null }>;
      outage: unknown;
    }>(['dashboard']);
    expect(code).toBe(0);
    expect(body.agent).toMatchObject({ reachable: true, url: agent.url });
    expect(body.agent.uptime_s).toBeGreaterThanOrEqual(0);
    expect(body.counts).toEqual({ running: 2 });
    expect(body.microvms.map((m) => [m.name, m.state])).toEqual([
      ['alpha', 'running'],
      ['zeta', 'running'],
    ]);
    expect(body.outage).toBeNull();
  });

  it('names the layer that is down and the fix, and exits 1', async () => {
    // A port nothing listens on: bind one, then let it go.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const url = `http://127.0.0.1:${port}`;
    const r = await cli.run(['dashboard'], { env: { FC_MACOS_AGENT_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`AGENT DOWN: the agent at ${url} is not answering (connection refused)`);
    expect(r.stdout).toMatch(/fix: check FC_MACOS_AGENT_URL, or start the agent with `fc-macos vm start`/);
  });
});
