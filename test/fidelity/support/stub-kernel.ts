// The smallest ELF x86-64 "kernel" Firecracker's loader accepts: one PT_LOAD segment at 16 MiB
// whose entry is `cli; hlt; jmp .-1`. Enough for InstanceStart and everything the API does after
// it; no guest ever prints anything (no real guest does on these PVM hosts either).
import { writeFileSync } from 'node:fs';

export function writeStubKernel(path: string): void {
  const code = Buffer.from([0xfa, 0xf4, 0xeb, 0xfd]);
  const base = 0x1000000n;
  const codeOffset = 0x78;
  const b = Buffer.alloc(codeOffset + code.length);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b[6] = 1; // ELF version
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(0x3e, 18); // x86-64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(base + BigInt(codeOffset), 24); // entry
  b.writeBigUInt64LE(64n, 32); // program headers right after this header
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(1, 56);
  b.writeUInt16LE(64, 58);
  b.writeUInt32LE(1, 64); // PT_LOAD
  b.writeUInt32LE(5, 68); // R+X
  b.writeBigUInt64LE(base, 80); // vaddr
  b.writeBigUInt64LE(base, 88); // paddr
  b.writeBigUInt64LE(BigInt(b.length), 96);
  b.writeBigUInt64LE(BigInt(b.length), 104);
  b.writeBigUInt64LE(0x1000n, 112);
  code.copy(b, codeOffset);
  writeFileSync(path, b);
}
