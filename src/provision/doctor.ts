// fc-macos doctor: every layer from the Mac (or Linux host) down to the agent and its token, each
// with ok/problem and the command that fixes it. A layer that is down marks the ones above it as
// not checked, with the same fix.

import type { FcMacosPaths } from '../config/paths.ts';
import { readToken } from '../config/token.ts';
import type { HostProvider } from '../host/provider.ts';
import { remoteSha256 } from '../host/remote-files.ts';
import { readSetupState } from './state.ts';

export interface DoctorCheck {
  check: string;
  ok: boolean;
  detail: string;
  fix: string;
}

const errText = (err: unknown) =>
  err instanceof Error ? (err.message.split('\n  fix:')[0] ?? '') : String(err);
const errFix = (err: unknown, fallback: string) => {
  const fix = (err as { fix?: unknown }).fix;
  return typeof fix === 'string' ? fix : fallback;
};

export async function runDoctor(
  provider: HostProvider,
  paths: FcMacosPaths,
  fetchImpl: typeof fetch = fetch,
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const add = (check: string, ok: boolean, detail: string, fix = '') => out.push({ check, ok, detail, fix });
  let down: { what: string; fix: string } | null = null;
  const blocked = (check: string) => add(check, false, `not checked: ${down?.what}`, down?.fix ?? '');

  // Host and VM layer.
  try {
    for (const c of await provider.checkHost()) add(c.check, true, c.detail);
  } catch (err) {
    add('host', false, errText(err), errFix(err, 'fc-macos setup'));
    // Without its Mac a VM cannot run; a Linux host's own layers are still worth checking.
    if (provider.vm)
      down = { what: 'the Mac does not meet the requirements', fix: errFix(err, 'fc-macos setup') };
  }
  if (provider.vm) {
    if (down) blocked('vm');
    else {
      const st = await provider.status();
      if (st.state === 'running') add('vm', true, `${st.name}: ${st.detail}`);
      else {
        const fix = st.state === 'missing' ? 'fc-macos setup' : 'fc-macos vm start';
        add('vm', false, `${st.name}: ${st.detail}`, fix);
        down = { what: `the VM ${st.name} is ${st.state}`, fix };
      }
    }
  }

  if (down) blocked('kvm');
  else {
    const kvm = await provider.checkKvm();
    add('kvm', kvm.ok, kvm.detail, kvm.fix);
  }

  if (down) blocked('node');
  else {
    const node = await provider.findNode();
    const major = Number.parseInt(node?.version.split('.')[0] ?? '0', 10);
    add(
      'node',
      node !== null && major >= 18,
      node ? `Node.js ${node.version} at ${node.path}` : 'Node.js not found on the Linux side',
      'fc-macos setup',
    );
  }

  const state = await readSetupState(paths);
  const l = provider.layout;
  for (const [check, key, path] of [
    ['firecracker', 'firecracker', l.firecrackerBin],
    ['kernel', 'kernel', l.kernel],
    ['rootfs', 'rootfs', l.rootfs],
  ] as const) {
    if (down) {
      blocked(check);
      continue;
    }
    const sha = await remoteSha256((a, o) => provider.exec(a, o), path, provider.agentDirNeedsRoot);
    const rec = state?.installed[key];
    if (!sha) add(check, false, `${path} is missing`, 'fc-macos setup');
    else if (rec && rec.sha256 !== sha)
      add(check, false, `${path} changed since setup installed it`, 'fc-macos setup');
    else add(check, true, `${path}${rec ? ` (${rec.source})` : ''}`);
  }

  if (down) {
    blocked('agent');
    blocked('token');
    return out;
  }
  const svc = await provider.agentService();
  const url = await provider.agentUrl().catch(() => null);
  let healthy = false;
  if (url) {
    try {
      healthy = (await fetchImpl(`${url}/health`, { signal: AbortSignal.timeout(5000) })).ok;
    } catch {}
  }
  if (!svc.installed) add('agent', false, 'fc-agent is not installed', 'fc-macos setup');
  else if (!healthy) {
    add(
      'agent',
      false,
      `fc-agent does not answer at ${url}/health (${svc.mode}: ${svc.detail})`,
      'fc-macos vm start (logs: fc-macos vm logs)',
    );
  } else add('agent', true, `fc-agent answers at ${url} (${svc.mode}: ${svc.detail})`);

  const token = await readToken(paths);
  if (!token) add('token', false, `no token in ${paths.tokenFile}`, 'fc-macos setup');
  else if (!healthy || !url) add('token', false, 'not checked: the agent is down', 'fc-macos vm start');
  else {
    const res = await fetchImpl(`${url}/agent/version`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    }).catch(() => null);
    if (res?.status === 200) add('token', true, `${paths.tokenFile} is accepted by the agent`);
    else
      add(
        'token',
        false,
        `the agent rejects the token in ${paths.tokenFile} (HTTP ${res?.status ?? 'error'})`,
        'fc-macos setup --force',
      );
  }
  return out;
}
