// Helpers for the agent tests: typed calls, waiting for an event, console clients, /proc checks.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type ErrorResponse, errorResponse, type Microvm, microvm } from '../../src/api/schemas.ts';
import type { StartedAgent } from '../support/agent.ts';
import { waitUntil } from '../support/proc.ts';

export async function createVm(agent: StartedAgent, body: Record<string, unknown> = {}): Promise<Microvm> {
  const res = await agent.json('/agent/microvms', { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 201)
    throw new Error(`create ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
  return microvm.parse(res.body);
}

export async function getVm(agent: StartedAgent, idOrName: string): Promise<Microvm> {
  const res = await agent.json(`/agent/microvms/${idOrName}`);
  if (res.status !== 200) throw new Error(`get ${idOrName}: ${res.status} ${JSON.stringify(res.body)}`);
  return microvm.parse(res.body);
}

export async function post(
  agent: StartedAgent,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return agent.json(path, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export function asError(body: unknown): ErrorResponse['error'] {
  return errorResponse.parse(body).error;
}

export interface ConsoleClient {
  ws: WebSocket;
  output(): string;
  waitFor(text: string): Promise<void>;
  send(text: string): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function consoleUrl(agent: StartedAgent, idOrName: string): string {
  return `${agent.url.replace(/^http/, 'ws')}/agent/microvms/${idOrName}/console`;
}

/** A create Firecracker refuses (its kernel is no ELF file): the agent's raw answer. */
export async function createRefused(
  agent: StartedAgent,
  name: string,
): Promise<{ status: number; body: unknown }> {
  const notElf = join(agent.root, 'not-a-kernel');
  await writeFile(notElf, 'not an ELF file at all, just text that is long enough to be read'.repeat(4));
  return agent.json('/agent/microvms', { method: 'POST', body: JSON.stringify({ name, kernel: notElf }) });
}

/** Opens the console, waits for `prompt`, types `echo <word>` and waits for it to come back. */
export async function echoThroughConsole(
  agent: StartedAgent,
  idOrName: string,
  word: string,
  prompt = '/ # ',
): Promise<void> {
  const con = await openConsole(agent, idOrName);
  try {
    await con.waitFor(prompt);
    con.send(`echo ${word}\n`);
    await con.waitFor(`${word}\r\n`);
  } finally {
    await con.close();
  }
}

export async function openConsole(agent: StartedAgent, idOrName: string): Promise<ConsoleClient> {
  const ws = new WebSocket(consoleUrl(agent, idOrName), {
    headers: { authorization: `Bearer ${agent.token}` },
  });
  let out = '';
  ws.on('message', (data: Buffer) => {
    out += data.toString('utf8');
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`console upgrade refused: ${res.statusCode}`)),
    );
  });
  return {
    ws,
    output: () => out,
    waitFor: (text) =>
      waitUntil(
        () => out.includes(text),
        `console output "${text}" (got ${JSON.stringify(out.slice(-300))})`,
      ).then(() => undefined),
    send: (text) => ws.send(Buffer.from(text)),
    closed,
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.terminate();
      await closed;
    },
  };
}

/** The status code of a refused WebSocket upgrade (or 101 when it was accepted). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}
