// The SDK checks the agent's answers with json-check.ts over the JSON Schemas zod writes, instead
// of zod itself (so `fc-macos ls` loads no zod). These tests hold the two to the same answers:
// real bodies from a running agent, and every mutation of them (a key dropped, a value of the
// wrong type, an unknown key added) must pass or fail alike and, when they pass, come out alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Check } from '../../src/api/json-check.ts';
import { responseJsonSchemas, responseSchemas } from '../../src/api/response-json-schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';

type Name = keyof typeof responseSchemas;
const samples = new Map<Name, unknown[]>();
let agent: StartedAgent;

function add(name: Name, body: unknown): void {
  samples.set(name, [...(samples.get(name) ?? []), body]);
}

beforeAll(async () => {
  agent = await startAgent();
  add('healthResponse', (await agent.json('/health')).body);
  add('versionResponse', (await agent.json('/agent/version')).body);
  const created = await agent.json('/agent/microvms', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'agree', balloon: { amount_mib: 8 } }),
  });
  expect(created.status).toBe(201);
  add('microvm', created.body);
  add('statsResponse', (await agent.json('/agent/stats')).body);
  add('microvmList', (await agent.json('/agent/microvms')).body);
  add('errorResponse', (await agent.json('/agent/microvms/nope')).body);
  const stopped = await agent.json('/agent/microvms/agree/stop', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ timeout_s: 0 }),
  });
  add('stopMicrovmResponse', stopped.body);
  add('microvm', (stopped.body as { microvm: unknown }).microvm);
  const deleted = await agent.json('/agent/microvms/agree', { method: 'DELETE' });
  add('deleteMicrovmResponse', deleted.body);
  const events = await (await agent.fetch('/agent/events?since=0')).body?.getReader().read();
  const text = Buffer.from(events?.value ?? []).toString('utf8');
  for (const m of text.matchAll(/^data: (.*)$/gm)) add('agentEvent', JSON.parse(m[1] ?? 'null'));
  // Bodies of the guest routes (the double runs no guest agent here), as the agent writes them.
  add('guestStatusResponse', {
    ...{ ready: true, agent: 'fc-guest', version: '1.0.0', arch: 'aarch64', proto: 1 },
    ...{ uptime_ms: 5, boot_time_ms: 900, rtt_ms: 0.4 },
  });
  add('guestExecResponse', {
    ...{ exit_code: 0, signal: null, timed_out: false, stdout_base64: 'aGk=', stderr_base64: '' },
  });
  add('guestExecEvent', { type: 'exit', exit_code: 1, signal: null, timed_out: false });
  add('guestExecEvent', { type: 'started', pid: 12 });
  add('guestStatResponse', { exists: true, type: 'dir', mode: 493, size: 0, mtime_ms: 1 });
  add('guestStatResponse', { exists: false });
  add('guestTransferSummary', { files: 1, dirs: 0, bytes: 3 });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
});

/** The body with one change at each place: a key gone, a wrong type, an unknown key. */
function mutations(value: unknown): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown, set: (next: unknown) => unknown): void => {
    for (const wrong of [null, 'x', 7, 1.5, true, [], {}])
      if (JSON.stringify(wrong) !== JSON.stringify(v)) out.push(set(wrong));
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, (next) => set(v.map((x, j) => (j === i ? next : x))));
      out.push(set([...v, v[0] ?? 'x']));
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const { [k]: _, ...rest } = o;
        out.push(set(rest));
        visit(o[k], (next) => set({ ...o, [k]: next }));
      }
      out.push(set({ ...o, surplus_key: 1 }));
    }
  };
  visit(value, (next) => next);
  return out;
}

describe('json-check answers as zod does', () => {
  const json = responseJsonSchemas();

  it('compiles every response schema (a keyword it does not know would throw)', () => {
    for (const name of Object.keys(json) as Name[])
      expect(() => new Check(json[name]).compile()).not.toThrow();
  });

  it('real bodies and every mutation of them: same verdict, same value', () => {
    let compared = 0;
    for (const name of Object.keys(responseSchemas) as Name[]) {
      const bodies = samples.get(name) ?? [];
      expect({ name, bodies: bodies.length > 0 }).toEqual({ name, bodies: true });
      const zod = responseSchemas[name] as z.ZodType;
      const check = new Check(json[name]);
      for (const body of bodies) {
        expect({ name, valid: zod.safeParse(body).success }).toEqual({ name, valid: true });
        for (const v of [body, ...mutations(body)]) {
          const a = zod.safeParse(v);
          const b = check.safeParse(v);
          expect({ name, v, ok: b.success }).toEqual({ name, v, ok: a.success });
          if (a.success && b.success) expect(b.data).toEqual(a.data);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('says where and what: the field path and the rule', () => {
    const check = new Check(json.microvmList);
    const body = samples.get('microvmList')?.[0] as { microvms: Array<Record<string, unknown>> };
    const bad = { microvms: [{ ...body.microvms[0], state: 'flying' }] };
    const r = check.safeParse(bad);
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(r.error.path).toBe('microvms.0.state');
      expect(r.error.message).toMatch(/^expected one of "created", "running"/);
    }
    const r2 = check.safeParse({});
    expect(r2.success ? null : r2.error).toEqual({ path: 'microvms', message: 'required' });
  });

  it('refuses to compile a keyword it does not understand', () => {
    expect(() => new Check({ type: 'string', contentEncoding: 'base64' }).compile()).toThrow(
      /keyword "contentEncoding" is not understood/,
    );
  });
});
