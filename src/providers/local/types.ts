/**
 * Shapes shared by the local supervisor (a detached process) and its admin
 * API client. Everything here crosses the admin API as JSON.
 */
import type { Json } from "../../core/json.js";
import type { AppSpec, Canary, SlotName } from "../../core/slots.js";

/** A slot as persisted in state.json. */
export interface SlotRecord {
  /** The slot's own loopback port, kept across restarts when free. */
  port: number;
  /** The last deployment in this slot, kept after a stop so it can be restarted. */
  spec?: AppSpec;
  /** The deployment `spec` replaced, so an undo can bring it back. */
  previousSpec?: AppSpec;
  /** Whether the slot should be running (the supervisor restarts it if it dies). */
  running: boolean;
  pid?: number;
  startedAt?: string;
  /** A process started but not yet healthy (a deploy in progress). */
  startingPid?: number;
  /** The workers started with `startingPid` (name -> pid), stopped with it if the start is not seen through. */
  startingWorkers?: Record<string, number>;
  /**
   * The app in the slot reads flags (it has polled them): flag writes wait until
   * it confirms them. An app that never polls (not cutover-aware) is not waited for.
   */
  flagsConsumer?: boolean;
  /** The worker processes running beside the app: name -> pid (see workers.ts). */
  workers?: Record<string, number>;
}

export interface FlagRecord {
  value: Json;
  /** The flag-store revision of the last write: the flag's etag. */
  rev: number;
}

/** The supervisor's durable state (`<dir>/state.json`, written atomically). */
export interface LocalState {
  format: 1;
  publicPort: number;
  adminPort: number;
  live: SlotName;
  /** Weighted routing: a share of the requests goes to the other slot (traffic.shift); absent: none. */
  canary?: Canary;
  slots: Record<SlotName, SlotRecord>;
  flags: Record<string, FlagRecord>;
  flagsRev: number;
}

export function specsEqual(a: AppSpec | undefined, b: AppSpec | undefined): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(s: AppSpec | undefined): unknown {
  if (!s) return null;
  const env = Object.fromEntries(Object.entries(s.env).sort(([x], [y]) => x.localeCompare(y)));
  return { ...s, env };
}
