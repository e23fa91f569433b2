/**
 * The client of a `provider: file` environment entry: one object that is
 * both the RunStore (capability `state`) and a FlagStore (capability
 * `flags`), so `environment: { state: { provider: file } }` serves the
 * journal, the leases and `flag.set` alike.
 */
import path from "node:path";
import type { Json } from "../../core/json.js";
import type { FlagStore, FlagValue } from "../../core/flag-store.js";
import { FileFlagStore } from "./flag-store.js";
import { FileRunStore, type FileRunStoreOptions } from "./run-store.js";

export interface FileStoreOptions extends FileRunStoreOptions {
  /** The flag file (default `<dir>/flags.json`). */
  flagsFile?: string;
}

export class FileStore extends FileRunStore implements FlagStore {
  readonly flags: FileFlagStore;

  constructor(options: FileStoreOptions) {
    super(options);
    this.flags = new FileFlagStore(options.flagsFile ?? path.join(this.dir, "flags.json"), options.lock ?? {});
  }

  get(name: string, options?: { signal?: AbortSignal }): Promise<FlagValue> {
    return this.flags.get(name, options);
  }

  set(name: string, value: Json, options?: { ifEtag?: string; signal?: AbortSignal }): Promise<string> {
    return this.flags.set(name, value, options);
  }

  delete(name: string, options?: { ifEtag?: string; signal?: AbortSignal }): Promise<void> {
    return this.flags.delete(name, options);
  }
}
