/**
 * The `flags` capability: a store of named flags the apps read (MaintenanceMode...).
 * Offered by the file, local and azure-appconfig providers; used by `flag.set`.
 */
import type { Json } from "./json.js";

export interface FlagValue {
  /** The value, or undefined when the flag does not exist. */
  value: Json | undefined;
  /** Opaque version for conditional writes (an etag, a revision number). */
  etag?: string;
}

/**
 * A store of named flags the apps read (MaintenanceMode...). Conditional
 * writes make `flag.set` safe against a concurrent human edit.
 */
export interface FlagStore {
  get(name: string, options?: { signal?: AbortSignal }): Promise<FlagValue>;
  /**
   * Write `value`; with `ifEtag`, only if unchanged since read (else
   * JOURNAL_CONFLICT-like Provider error). Returns the new etag.
   */
  set(name: string, value: Json, options?: { ifEtag?: string; signal?: AbortSignal }): Promise<string | undefined>;
  /** Remove the flag (restoring "did not exist"). Succeeds if already absent. */
  delete(name: string, options?: { ifEtag?: string; signal?: AbortSignal }): Promise<void>;
}
