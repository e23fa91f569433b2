/**
 * The blue/green vocabulary shared by the local provider, the nginx provider
 * and the local.* and nginx.* actions: slot names, what runs in a slot, and
 * what the local environment reports (its admin API's JSON shapes).
 */
import { z } from "zod";
import type { Json } from "./json.js";
import { DURATION_RANGES, parseDuration } from "./duration.js";
import { durationSchema } from "./duration-schema.js";

export const SLOT_NAMES = ["blue", "green"] as const;
export type SlotName = (typeof SLOT_NAMES)[number];
/** A slot name in a journaled record or checkpoint. */
export const SlotNameSchema = z.enum(SLOT_NAMES);

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
  /**
   * Processes that run beside the web process in the same slot (message handlers, read-model rebuilders):
   * started with it (stopped again if it never becomes healthy), restarted if they die, stopped (SIGTERM, then
   * SIGKILL) with it.
   */
  workers?: WorkerSpec[];
}

/** A worker process of a slot: same cwd and env as the app, plus its own env and `CUTOVER_WORKER=<name>`. */
export interface WorkerSpec {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** How long it may take to finish its work after SIGTERM before it is killed. */
  stopTimeoutMs?: number;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A worker as a playbook declares it (local.deploy `workers`, the local provider's `baseline.workers`). */
const WorkerConfig = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, "lower-case letters, digits and `-`, e.g. order-handler")
      .describe("The worker's name: in `status`, its log file and its `CUTOVER_WORKER` variable."),
    command: z
      .array(scalar)
      .min(1, 'give at least the program, e.g. ["node", "worker.js"]')
      .describe('The worker\'s argv, e.g. ["node", "../demo/cqrs/v2/handler.js"]; `node` is cutover\'s Node.'),
    env: z.record(z.string(), scalar).optional().describe("Environment on top of the app's `env`."),
    stopTimeout: durationSchema(
      "How long it may take to finish the work it took after SIGTERM before it is killed.",
      DURATION_RANGES.pause,
    ).default("10s"),
  })
  .strict();

export const WorkersConfig = z
  .array(WorkerConfig)
  .default([])
  .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, { message: "worker names must differ" })
  .describe(
    "Processes that run beside the app in the slot (message handlers, read-model rebuilders): started with the " +
      "app (and stopped again if it never becomes healthy), restarted if they die, stopped with the slot (SIGTERM, " +
      "then SIGKILL after `stopTimeout`).",
  );

/** The supervisor's form of declared workers (`{}` when there are none, so specs compare equal). */
export function toWorkerSpecs(ws: z.infer<typeof WorkersConfig>): { workers?: WorkerSpec[] } {
  if (ws.length === 0) return {};
  return {
    workers: ws.map((w) => ({
      name: w.name,
      command: w.command.map(String),
      env: Object.fromEntries(Object.entries(w.env ?? {}).map(([k, v]) => [k, String(v)])),
      stopTimeoutMs: parseDuration(w.stopTimeout),
    })),
  };
}

/** A worker as `status` shows it. */
export interface WorkerStatus {
  name: string;
  running: boolean;
  pid?: number;
  restarts: number;
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
  /** The slot's worker processes, if its deployment has any. */
  workers?: WorkerStatus[];
}

/** Weighted routing in the local proxy: `percent` (1-99) of the requests go to `slot`, not the live slot. */
export interface Canary {
  slot: SlotName;
  percent: number;
}

export interface LocalStatus {
  dir: string;
  supervisorPid: number;
  startedAt: string;
  publicUrl: string;
  adminUrl: string;
  live: SlotName;
  /** Set while traffic.shift sends a share of the requests to the other slot. */
  canary?: Canary;
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
