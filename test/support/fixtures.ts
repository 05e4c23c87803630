// Records for tests that need a Microvm without an agent: every field set, valid per the schema.
import type { Microvm } from '../../src/api/schemas.ts';

/** A running microVM created three minutes ago; `over` replaces any field. */
export function microvmRecord(over: Partial<Microvm> = {}): Microvm {
  const ago = (s: number): string => new Date(Date.now() - s * 1000).toISOString();
  return {
    id: '0123456789abcdef',
    name: 'x',
    state: 'running',
    vcpus: 1,
    memory_mib: 128,
    kernel: '/k',
    rootfs: '/r',
    boot_args: 'console=ttyS0',
    initrd: null,
    drives: [],
    read_only_rootfs: false,
    track_dirty_pages: false,
    smt: false,
    balloon: null,
    pid: 42,
    socket_path: '/s',
    created_at: ago(180),
    started_at: ago(170),
    exit: null,
    last_console_lines: [],
    network: null,
    ...over,
  };
}
