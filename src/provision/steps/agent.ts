// fc-agent on the Linux side: the bundle, the token on both sides, the service, and a health and
// token check through the SDK (src/client), the one way anything talks to the agent.
import type { VersionResponse } from '../../api/schemas.ts';
import { AgentClient } from '../../client/agent-client.ts';
import { AgentAuthError } from '../../client/errors.ts';
import { generateToken, readToken, writeToken } from '../../config/token.ts';
import type { CheckResult } from '../../host/provider.ts';
import { sha256File, writeRemoteFile } from '../../host/remote-files.ts';
import type { SetupContext } from '../context.ts';
import { ProvisionError } from '../errors.ts';
import type { Progress, Step } from '../runner.ts';
import { errText, installedStep } from './common.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function client(url: string, token: string | null, timeoutMs: number): AgentClient {
  return new AgentClient({ baseUrl: url, token: token ?? undefined, timeoutMs });
}

/** Waits for GET /health, then checks the token with GET /agent/version. */
export async function waitForAgent(
  ctx: SetupContext,
  token: string,
  progress: Progress,
): Promise<VersionResponse> {
  const url = await ctx.provider.agentUrl();
  progress(`waiting for ${url}/health`);
  const deadline = Date.now() + ctx.agentTimeoutMs;
  let last = '';
  for (;;) {
    try {
      await client(url, null, 5000).health();
      break;
    } catch (err) {
      last = errText(err);
    }
    if (Date.now() > deadline) {
      const logs = await ctx.provider.logs({ lines: 20 }).catch(() => '');
      throw new ProvisionError(
        'agent_unhealthy',
        `fc-agent does not answer at ${url}/health after ${ctx.agentTimeoutMs / 1000}s (${last})${logs ? `\n${logs}` : ''}`,
        'see why in `fc-macos vm logs`, then run `fc-macos setup --force`',
      );
    }
    await sleep(250);
  }
  try {
    return await client(url, token, 10_000).version();
  } catch (err) {
    if (err instanceof AgentAuthError) {
      throw new ProvisionError(
        'agent_unhealthy',
        `fc-agent at ${url} rejected the token in ${ctx.paths.tokenFile}`,
        'fc-macos setup --force',
      );
    }
    throw new ProvisionError(
      'agent_unhealthy',
      `GET ${url}/agent/version: ${errText(err)}`,
      'fc-macos vm logs',
    );
  }
}

/** Doctor's and setup's view of the agent: installed, answering /health, and which version. */
export async function inspectAgent(ctx: SetupContext): Promise<CheckResult & { url: string | null }> {
  const p = ctx.provider;
  const svc = await p.agentService();
  const url = await p.agentUrl().catch(() => null);
  if (!svc.installed) return { ok: false, detail: 'fc-agent is not installed', fix: 'fc-macos setup', url };
  try {
    if (!url) throw new Error('no address');
    const h = await client(url, null, 5000).health();
    return {
      ok: true,
      detail: `fc-agent ${h.version} answers at ${url} (${svc.mode}: ${svc.detail})`,
      fix: '',
      url,
    };
  } catch (err) {
    return {
      ok: false,
      detail: `fc-agent does not answer at ${url}/health (${svc.mode}: ${svc.detail}; ${errText(err)})`,
      fix: 'fc-macos vm start',
      url,
    };
  }
}

/** Whether the agent at url accepts the token in the config dir. */
export async function inspectToken(ctx: SetupContext, url: string | null): Promise<CheckResult> {
  const token = await readToken(ctx.paths, {});
  if (!token) return { ok: false, detail: `no token in ${ctx.paths.tokenFile}`, fix: 'fc-macos setup' };
  if (!url) return { ok: false, detail: 'not checked: the agent is down', fix: 'fc-macos vm start' };
  try {
    await client(url, token, 5000).version();
    return { ok: true, detail: `${ctx.paths.tokenFile} is accepted by the agent`, fix: '' };
  } catch (err) {
    if (err instanceof AgentAuthError)
      return {
        ok: false,
        detail: `the agent rejects the token in ${ctx.paths.tokenFile}`,
        fix: 'fc-macos setup --force',
      };
    return { ok: false, detail: `not checked: ${errText(err)}`, fix: 'fc-macos vm start' };
  }
}

async function agentSource(ctx: SetupContext): Promise<string> {
  const node = await ctx.provider.findNode();
  return [
    `bundle:${await sha256File(ctx.agentBundle)}`,
    `node:${node?.path ?? '?'}`,
    `listen:${ctx.provider.agentListen()}`,
    `dir:${ctx.provider.layout.agentDir}`,
  ].join('|');
}

export function agentStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  return installedStep(ctx, {
    id: 'agent',
    title: 'fc-agent',
    path: layout.agentBundle,
    source: () => agentSource(ctx),
    inspect: () => inspectAgent(ctx),
    async ready() {
      const agent = await inspectAgent(ctx);
      return agent.ok && (await inspectToken(ctx, agent.url)).ok;
    },
    async install(progress) {
      const node = await p.findNode();
      if (!node)
        throw new ProvisionError('node_missing', 'Node.js is missing on the Linux side', 'fc-macos setup');
      progress('copying fc-agent.mjs');
      await p.copyIn(ctx.agentBundle, layout.agentBundle, { mode: 0o755, root });
      let token = ctx.options.force ? null : await readToken(ctx.paths, {});
      if (!token) {
        token = generateToken();
        await writeToken(token, ctx.paths);
      }
      await writeRemoteFile((a, o) => p.exec(a, o), layout.tokenFile, `${token}\n`, { mode: 0o600, root });
      progress(`starting the agent (${p.agentListen()})`);
      await p.installAgent({ node: node.path, listen: p.agentListen(), layout });
      const v = await waitForAgent(ctx, token, progress);
      return `fc-agent ${v.agent}`;
    },
  });
}
