// Names and the --max-microvms limit are reserved atomically: concurrent creates cannot both win.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { microvmList } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { procState } from '../support/proc.ts';
import { asError } from './harness.ts';

let agent: StartedAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

async function createMany(
  a: StartedAgent,
  bodies: unknown[],
): Promise<Array<{ status: number; body: unknown }>> {
  return Promise.all(
    bodies.map((b) => a.json('/agent/microvms', { method: 'POST', body: JSON.stringify(b) })),
  );
}

describe('concurrent creates', () => {
  test('20 creates with one name: exactly one 201, nineteen 409 conflict', async () => {
    agent = await startAgent();
    const results = await createMany(
      agent,
      Array.from({ length: 20 }, () => ({ name: 'same', start: false })),
    );
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const r of conflicts) expect(asError(r.body).code).toBe('conflict');
    const list = microvmList.parse((await agent.json('/agent/microvms')).body).microvms;
    expect(list.map((m) => m.name)).toEqual(['same']);
    // Only the winner's files and process exist.
    expect(readdirSync(join(agent.stateDir, 'microvms'))).toEqual([list[0]?.id]);
    expect(procState(list[0]?.pid ?? -1)).not.toBeNull();
  });

  test('the microVM limit holds under concurrent creates; deleting frees a slot', async () => {
    agent = await startAgent({ extraArgs: ['--max-microvms', '2'] });
    const results = await createMany(
      agent,
      Array.from({ length: 5 }, (_, i) => ({ name: `vm-${i}`, start: false })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.status).toBe(409);
      const err = asError(r.body);
      expect(err.code).toBe('limit_reached');
      expect(err.message).toMatch(/--max-microvms 2/);
    }
    const list = microvmList.parse((await agent.json('/agent/microvms')).body).microvms;
    expect(list).toHaveLength(2);
    await agent.fetch(`/agent/microvms/${list[0]?.id}`, { method: 'DELETE' });
    expect((await agent.json('/agent/microvms', { method: 'POST', body: '{"start":false}' })).status).toBe(
      201,
    );
  });

  test('generated names stay unique under concurrent creates', async () => {
    agent = await startAgent();
    const results = await createMany(
      agent,
      Array.from({ length: 6 }, () => ({ start: false })),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const names = results.map((r) => (r.body as { name: string }).name).sort();
    expect(names).toEqual(['microvm-1', 'microvm-2', 'microvm-3', 'microvm-4', 'microvm-5', 'microvm-6']);
  });
});
