// A guest kernel for tests that need `InstanceStart` to succeed on real Firecracker.
//
// FC_TEST_KERNEL wins when set (a real uncompressed ELF vmlinux, for console flows on a host whose
// KVM boots guests). Otherwise we write a minimal ELF64 "kernel": one PT_LOAD segment at 16 MiB
// holding `hlt; jmp .-1`. It passes Firecracker's x86_64 loader (linux-loader's Elf::load:
// ELF magic, little-endian, 56-byte program headers, entry >= 1 MiB, segment alignment a multiple
// of 2 MiB), so `InstanceStart` answers 204 and the VM is "Running"; pause/resume/snapshot work.
// It never prints anything: no console output can be expected from it. Nothing to download or
// install, so it works in every CI run. Firecracker on aarch64 loads PE Images instead, so there
// the helper asks for FC_TEST_KERNEL.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { testBinDir } from './paths.ts';

const LOAD_ADDRESS = 0x100_0000n; // 16 MiB, like a real vmlinux's CONFIG_PHYSICAL_START.
const SEGMENT_ALIGN = 0x20_0000n; // 2 MiB: linux-loader refuses anything else.
const CODE_OFFSET = 0x1000;
const HALT_LOOP = [0xf4, 0xeb, 0xfd]; // hlt; jmp back to hlt

/** The bytes of the minimal x86_64 ELF kernel described above. */
export function haltLoopElf(): Buffer {
  const buf = Buffer.alloc(CODE_OFFSET + HALT_LOOP.length);
  // ELF header (64 bytes)
  buf.write('\x7fELF', 0, 'latin1');
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // ELFDATA2LSB
  buf[6] = 1; // EV_CURRENT
  buf.writeUInt16LE(2, 16); // ET_EXEC
  buf.writeUInt16LE(0x3e, 18); // EM_X86_64
  buf.writeUInt32LE(1, 20); // e_version
  buf.writeBigUInt64LE(LOAD_ADDRESS, 24); // e_entry
  buf.writeBigUInt64LE(64n, 32); // e_phoff
  buf.writeBigUInt64LE(0n, 40); // e_shoff
  buf.writeUInt16LE(64, 52); // e_ehsize
  buf.writeUInt16LE(56, 54); // e_phentsize
  buf.writeUInt16LE(1, 56); // e_phnum
  buf.writeUInt16LE(64, 58); // e_shentsize
  // Program header (56 bytes): PT_LOAD, R+X
  const ph = 64;
  buf.writeUInt32LE(1, ph);
  buf.writeUInt32LE(5, ph + 4);
  buf.writeBigUInt64LE(BigInt(CODE_OFFSET), ph + 8); // p_offset
  buf.writeBigUInt64LE(LOAD_ADDRESS, ph + 16); // p_vaddr
  buf.writeBigUInt64LE(LOAD_ADDRESS, ph + 24); // p_paddr
  buf.writeBigUInt64LE(BigInt(HALT_LOOP.length), ph + 32); // p_filesz
  buf.writeBigUInt64LE(BigInt(HALT_LOOP.length), ph + 40); // p_memsz
  buf.writeBigUInt64LE(SEGMENT_ALIGN, ph + 48); // p_align
  Buffer.from(HALT_LOOP).copy(buf, CODE_OFFSET);
  return buf;
}

/**
 * A kernel image path for `PUT /boot-source`, or why there is none. Generated once into the test
 * cache inside the checkout (not a shared /tmp); concurrent test files race safely via rename.
 */
export async function testKernel(): Promise<string | { skip: string }> {
  const fromEnv = process.env.FC_TEST_KERNEL;
  if (fromEnv) {
    return existsSync(fromEnv) ? fromEnv : { skip: `FC_TEST_KERNEL=${fromEnv} does not exist` };
  }
  if (arch() !== 'x64') {
    return { skip: `no generated test kernel for ${arch()}: set FC_TEST_KERNEL to a kernel Image` };
  }
  const dir = join(testBinDir, '..', 'kernel');
  const path = join(dir, 'vmlinux-halt-loop');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, haltLoopElf(), { mode: 0o644 });
    renameSync(tmp, path);
  }
  return path;
}
