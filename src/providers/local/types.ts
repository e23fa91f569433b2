/**
 * Shapes shared by the local supervisor (a detached process) and its admin
 * API client. Everything here crosses the admin API as JSON.
 */
import type { Json } from "../../core/json.js";

export const SLOT_NAMES = ["blue", "green"] as const;
export type SlotName = (typeof SLOT_NAMES)[number];

export function isSlotName(v: unknown): v is SlotName {
  return v === "blue" || v === "green";
}

export function otherSlot(slot: SlotName): SlotName {
  return slot === "blue" ? "green" : "blue";
}

/** What to run in a slot. Two specs are "the same deployment" when they are deep-equal. */
export interface AppSpec {
  /** A label for people and for undo: `v1`, `v2`, a git sha. */
  version: string;
  /** argv; `node` is replaced by the supervisor's own Node binary. */
  command: string[];
  /** Working directory (absolute). */
  cwd: string;
  /** Extra environment for the app. May hold secrets: never printed, only its keys are shown. */
  env: Record<string, string>;
  /** Path answering 200 when the app is ready. */
  healthPath: string;
  /** How long a start may take to become healthy. */
  healthTimeoutMs: number;
}

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
  /**
   * The app in the slot reads flags (it has polled them): flag writes wait until
   * it confirms them. An app that never polls (not cutover-aware) is not waited for.
   */
  flagsConsumer?: boolean;
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
  slots: Record<SlotName, SlotRecord>;
  flags: Record<string, FlagRecord>;
  flagsRev: number;
}

export type SlotHealth = "healthy" | "unhealthy" | "starting" | "stopped";

/** What `status` shows for a slot: no env values, only their names. */
export interface SlotStatus {
  slot: SlotName;
  live: boolean;
  port: number;
  url: string;
  version?: string;
  command?: string[];
  envKeys?: string[];
  running: boolean;
  health: SlotHealth;
  pid?: number;
  startedAt?: string;
  inFlight: number;
  inFlightWrites: number;
  /** Flag revision the app confirmed it applied. */
  flagsRevApplied?: number;
}

export interface LocalStatus {
  dir: string;
  supervisorPid: number;
  startedAt: string;
  publicUrl: string;
  adminUrl: string;
  live: SlotName;
  slots: Record<SlotName, SlotStatus>;
  flags: Record<string, Json>;
  flagsRev: number;
  requestsServed: number;
}

export interface DrainResult {
  slot: SlotName;
  drained: boolean;
  /** Requests in flight (of the chosen kind) when the drain began. */
  pendingAtStart: number;
  waitedMs: number;
  /** Epoch ms when the last of those requests ended (absent if none was pending). */
  lastEndedAt?: number;
  /** Epoch ms when the supervisor saw the drain complete. */
  drainedAt: number;
}

export function specsEqual(a: AppSpec | undefined, b: AppSpec | undefined): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(s: AppSpec | undefined): unknown {
  if (!s) return null;
  const env = Object.fromEntries(Object.entries(s.env).sort(([x], [y]) => x.localeCompare(y)));
  return { ...s, env };
}
