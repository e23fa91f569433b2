/**
 * An in-memory FlagStore with the contract's conditional writes, for tests.
 * `afterWrite` lets a test interfere right after a write lands (simulate a
 * crash before the step's success event, or a person editing the flag).
 */
import type { Json } from "../../src/core/json.js";
import { CutoverError, ErrorCode } from "../../src/core/errors.js";
import type { FlagStore, FlagValue } from "../../src/core/flag-store.js";

export class MemoryFlagStore implements FlagStore {
  private revision = 0;
  readonly flags = new Map<string, { value: Json; etag: string }>();
  writes = 0;
  afterWrite?: (name: string) => void;

  constructor(initial: Record<string, Json> = {}) {
    for (const [k, v] of Object.entries(initial)) this.flags.set(k, { value: v, etag: String(++this.revision) });
  }

  async get(name: string): Promise<FlagValue> {
    const f = this.flags.get(name);
    return f ? { value: structuredClone(f.value), etag: f.etag } : { value: undefined };
  }

  async set(name: string, value: Json, options: { ifEtag?: string } = {}): Promise<string> {
    this.check(name, options.ifEtag);
    const etag = String(++this.revision);
    this.flags.set(name, { value: structuredClone(value), etag });
    this.writes++;
    this.afterWrite?.(name);
    return etag;
  }

  async delete(name: string, options: { ifEtag?: string } = {}): Promise<void> {
    if (!this.flags.has(name)) return;
    this.check(name, options.ifEtag);
    this.flags.delete(name);
    this.writes++;
    this.afterWrite?.(name);
  }

  /** A person edits the flag outside cutover. */
  edit(name: string, value: Json): void {
    this.flags.set(name, { value, etag: String(++this.revision) });
  }

  private check(name: string, ifEtag: string | undefined): void {
    const cur = this.flags.get(name);
    if (ifEtag !== undefined && cur?.etag !== ifEtag) {
      throw new CutoverError(ErrorCode.Provider, `flag ${name} was changed by someone else since it was read`);
    }
  }
}
