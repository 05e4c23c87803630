// The microVMs the agent holds, by id and by name, and the names and ids reserved by creates still
// in flight. Lookups are synchronous, so a reservation made before a create's first await cannot be
// raced by another create.
import { randomBytes } from 'node:crypto';
import { type Microvm, NAME_PATTERN } from '../../api/schemas.ts';
import { ApiError, badRequest, invalidState, notFound } from '../errors.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';

export const ID_PATTERN = /^[0-9a-f]{16}$/;

export class MicrovmRegistry {
  private readonly entries = new Map<string, MicrovmEntry>();
  /** name → id, for ready microVMs and for creates in flight (reserved names). */
  private readonly names = new Map<string, string>();
  private readonly reservedIds = new Set<string>();

  /** Sorted by name: every list the user sees is sorted. */
  list(): Microvm[] {
    return [...this.entries.values()].map((e) => e.vm).sort((a, b) => a.name.localeCompare(b.name));
  }

  all(): MicrovmEntry[] {
    return [...this.entries.values()];
  }

  /** Held microVMs plus creates in flight: what counts against --max-microvms. */
  get used(): number {
    return this.entries.size + this.reservedIds.size;
  }

  /** Exact id, exact name, then a unique id prefix. */
  resolve(idOrName: string): MicrovmEntry {
    if (!NAME_PATTERN.test(idOrName)) {
      throw badRequest(
        `"${idOrName.slice(0, 100)}" is not a microVM id or name (names match ^[a-z0-9][a-z0-9._-]{0,62}$)`,
      );
    }
    const byId = this.entries.get(idOrName);
    if (byId) return byId;
    const id = this.names.get(idOrName);
    if (id !== undefined) {
      const byName = this.entries.get(id);
      if (byName) return byName;
      throw invalidState(`microVM ${idOrName} is still being created`);
    }
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const candidates = [...this.entries.values()].filter((e) => e.vm.id.startsWith(idOrName));
      if (candidates.length === 1 && candidates[0]) return candidates[0];
      if (candidates.length > 1) {
        throw new ApiError(
          409,
          'ambiguous',
          `"${idOrName}" is a prefix of ${candidates.length} microVM ids: give more characters or the name`,
          { candidates: candidates.map((e) => ({ id: e.vm.id, name: e.vm.name })) },
        );
      }
    }
    throw notFound(`no microVM with id or name "${idOrName}"`);
  }

  /** The id holding a name (a ready microVM or a create in flight), if any. */
  holderOf(name: string): string | undefined {
    return this.names.get(name);
  }

  nextFreeName(): string {
    for (let n = 1; ; n++) {
      const name = `microvm-${n}`;
      if (!this.names.has(name)) return name;
    }
  }

  /** A random id no microVM and no create in flight holds. */
  freshId(): string {
    let id: string;
    do {
      id = randomBytes(8).toString('hex');
    } while (!this.isIdFree(id));
    return id;
  }

  isIdFree(id: string): boolean {
    return !this.entries.has(id) && !this.reservedIds.has(id);
  }

  /**
   * Reserves the name and an id for a create in flight: `id` (a spare firecracker's) when it is
   * free, a fresh one otherwise. The caller checked the name is free.
   */
  reserve(name: string, id?: string): string {
    const chosen = id !== undefined && ID_PATTERN.test(id) && this.isIdFree(id) ? id : this.freshId();
    this.names.set(name, chosen);
    this.reservedIds.add(chosen);
    return chosen;
  }

  /** Ends a reservation; the name stays taken only if the create published its entry. */
  release(id: string, name: string): void {
    this.reservedIds.delete(id);
    if (!this.entries.has(id) && this.names.get(name) === id) this.names.delete(name);
  }

  /** Adds a microVM; false (and nothing added) when its name is held by another id. */
  add(entry: MicrovmEntry): boolean {
    const holder = this.names.get(entry.vm.name);
    if (holder !== undefined && holder !== entry.vm.id) return false;
    this.entries.set(entry.vm.id, entry);
    this.names.set(entry.vm.name, entry.vm.id);
    return true;
  }

  delete(entry: MicrovmEntry): void {
    this.entries.delete(entry.vm.id);
    if (this.names.get(entry.vm.name) === entry.vm.id) this.names.delete(entry.vm.name);
  }
}
