// Release-like assets for setup tests, served from 127.0.0.1 in the --assets-url mirror layout
// (docs/setup.md): a Firecracker tarball + .sha256.txt, a kernel, an Alpine-like minirootfs +
// .sha256. Also a stand-in agent for provisioning tests that do not need the real fc-agent.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ALPINE_BRANCH,
  ALPINE_VERSION,
  FIRECRACKER_VERSION,
  KERNEL_CI_VERSION,
  KERNEL_VERSION,
} from '../../src/provision/assets.ts';
import { haltLoopElf } from './kernel.ts';
import { testBinDir } from './paths.ts';

export type Arch = 'x86_64' | 'aarch64';

export const hostArch = (): Arch => (process.arch === 'arm64' ? 'aarch64' : 'x86_64');

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const WRAPPER_C = `#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifndef VERSION
#define VERSION "${FIRECRACKER_VERSION}"
#endif
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) { puts("Firecracker " VERSION); puts(""); return 0; }
#ifdef DELEGATE
  argv[0] = DELEGATE;
  execv(DELEGATE, argv);
  perror("exec " DELEGATE);
  return 127;
#else
  fputs("test firecracker: no delegate\\n", stderr);
  return 1;
#endif
}
`;

/**
 * A `firecracker` stand-in that setup accepts: a real ELF executable for this machine (setup
 * reads the header) that answers --version like v1.14.4 and otherwise execs `delegate` (the
 * double). Compiled once per delegate with the system's cc into the test cache.
 */
export function firecrackerElf(delegate?: string, version?: string): Buffer {
  const key = sha256(`${WRAPPER_C}\0${delegate ?? ''}\0${version ?? ''}`).slice(0, 16);
  const out = join(testBinDir, `fc-wrapper-${key}`);
  if (!existsSync(out)) {
    mkdirSync(testBinDir, { recursive: true });
    const src = `${out}.${process.pid}.c`;
    writeFileSync(src, WRAPPER_C);
    const define = [
      ...(delegate ? [`-DDELEGATE=${JSON.stringify(delegate)}`] : []),
      ...(version ? [`-DVERSION=${JSON.stringify(version)}`] : []),
    ];
    try {
      execFileSync('cc', ['-O1', '-o', `${out}.${process.pid}`, ...define, src]);
      renameSync(`${out}.${process.pid}`, out);
    } finally {
      rmSync(src, { force: true });
    }
  }
  return readFileSync(out);
}

/** The header of an arm64 `Image` (magic "ARM\\x64" at 0x38) and nothing to run: setup's checks only. */
export function arm64ImageStub(): Buffer {
  const buf = Buffer.alloc(4096);
  buf.writeUInt32LE(0x644d5241, 0x38);
  return buf;
}

export interface TestAssets {
  /** Mirror root on disk; URLs are `${baseUrl}/<path under root>`. */
  root: string;
  arch: Arch;
  paths: { firecracker: string; kernel: string; alpine: string };
  kernelBytes: Buffer;
  /**
   * The pin for this mirror's kernel, for runSetup's kernelSha256 (the published pins are for the
   * real CI kernels, which tests do not download).
   */
  kernelSha256: Partial<Record<Arch, string>>;
}

function put(root: string, rel: string, data: Buffer | string, mode = 0o644): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data, { mode });
  return p;
}

/** Writes the mirror tree under root for arch. */
export function makeTestAssets(root: string, arch: Arch = hostArch(), delegate?: string): TestAssets {
  const stage = join(root, '.stage');
  // Firecracker release tarball, laid out like the real one.
  const rel = `release-${FIRECRACKER_VERSION}-${arch}`;
  put(stage, `fc/${rel}/firecracker-${FIRECRACKER_VERSION}-${arch}`, firecrackerElf(delegate), 0o755);
  put(stage, `fc/${rel}/jailer-${FIRECRACKER_VERSION}-${arch}`, '#!/bin/sh\necho "Jailer v1.14.4"\n', 0o755);
  put(stage, `fc/${rel}/LICENSE`, 'Apache-2.0 (test)\n');
  const fcName = `firecracker-${FIRECRACKER_VERSION}-${arch}.tgz`;
  const fcPath = join(root, 'firecracker', FIRECRACKER_VERSION, fcName);
  mkdirSync(join(fcPath, '..'), { recursive: true });
  execFileSync('tar', ['-czf', fcPath, '-C', join(stage, 'fc'), rel]);
  writeFileSync(`${fcPath}.sha256.txt`, `${sha256(readFileSync(fcPath))}  ${fcName}\n`);

  // A kernel real Firecracker (and so the double) accepts for InstanceStart.
  const kernelBytes = arch === 'x86_64' ? haltLoopElf() : arm64ImageStub();
  const kernel = put(root, `kernel/${KERNEL_CI_VERSION}/${arch}/vmlinux-${KERNEL_VERSION}`, kernelBytes);

  // An Alpine-like minirootfs: a tiny tree (busybox-static when the machine has it).
  const tree = join(stage, 'alpine');
  put(tree, 'etc/os-release', `NAME="Alpine Linux (test)"\nVERSION_ID=${ALPINE_VERSION}\n`);
  put(tree, 'etc/profile', 'export PS1="microvm# "\n');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'root', 'tmp', 'sbin', 'usr/bin'])
    mkdirSync(join(tree, d), { recursive: true });
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (busybox) put(tree, 'bin/busybox', readFileSync(busybox), 0o755);
  else put(tree, 'bin/sh', '#!/bin/false\n', 0o755);
  const aName = `alpine-minirootfs-${ALPINE_VERSION}-${arch}.tar.gz`;
  const alpine = join(root, 'alpine', ALPINE_BRANCH, arch, aName);
  mkdirSync(join(alpine, '..'), { recursive: true });
  execFileSync('tar', ['-czf', alpine, '-C', tree, '.']);
  writeFileSync(`${alpine}.sha256`, `${sha256(readFileSync(alpine))}  ${aName}\n`);
  execFileSync('rm', ['-rf', stage]);
  return {
    root,
    arch,
    paths: { firecracker: fcPath, kernel, alpine },
    kernelBytes,
    kernelSha256: { [arch]: sha256(kernelBytes) },
  };
}

export interface AssetServer {
  url: string;
  /** Requests seen, by path. */
  requests: string[];
  /** Overrides: path → status code, or replacement bytes. */
  override: Map<string, number | Buffer>;
  close(): Promise<void>;
}

export async function serveAssets(root: string): Promise<AssetServer> {
  const requests: string[] = [];
  const override = new Map<string, number | Buffer>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const o = override.get(path);
    if (typeof o === 'number') {
      res.writeHead(o).end();
      return;
    }
    const file = join(root, path);
    if (!o && (path.includes('..') || !existsSync(file))) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = o ?? readFileSync(file);
    res
      .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    override,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
