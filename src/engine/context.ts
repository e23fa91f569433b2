/**
 * What the runner needs from the world, injected by the composition root
 * (src/runtime.ts): actions, providers, secrets, the clock. The engine
 * imports no provider and no action module.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { ActionDefinition, ActionLogger } from "../core/action.js";
import type { Playbook } from "../playbook/schema.js";
import type { Actor } from "./events.js";
import type { Json } from "../core/json.js";
import type { Journal } from "./journal.js";
import type { Redactor } from "./redact.js";

export interface EngineDeps {
  journal: Journal;
  playbook: Playbook;
  baseDir: string;
  stateDir: string;
  findAction(kind: string): ActionDefinition<unknown> | undefined;
  /** The client of environment entry `target` offering `capability`. */
  provider(target: string, capability: string): Promise<unknown>;
  actor: Actor;
  env: NodeJS.ProcessEnv;
  /** Params with secret ones filled in from the environment (never journaled). */
  params: Record<string, Json>;
  secret(name: string): string | undefined;
  redactor: Redactor;
  /** Live, non-journaled output of a step (log lines, progress). */
  onLog?(stepId: string, level: "info" | "warn" | "progress", message: string, fraction?: number): void;
  /** Overrides the playbook's default onFailure (not steps that set their own). */
  onFailure?: "pause" | "abort" | "continue";
  sleep?(ms: number, signal: AbortSignal): Promise<void>;
  now?(): number;
}

export function makeLogger(deps: EngineDeps, stepId: string): ActionLogger {
  const emit = (level: "info" | "warn" | "progress", message: string, fraction?: number) =>
    deps.onLog?.(stepId, level, deps.redactor.redact(message), fraction);
  return {
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    progress: (m, f) => emit("progress", m, f),
  };
}

/** The engine's clock: wall time for journaled durations and gate expiry, and sleeps for backoff and timeouts. */
export interface EngineClock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The clock the deps inject, or the real one. */
export function clockOf(deps: Pick<EngineDeps, "now" | "sleep">): EngineClock {
  return { now: deps.now ?? Date.now, sleep: deps.sleep ?? sleep };
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer wait is taken in pieces, never cut to 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sleep that ends early (rejecting with the signal's reason) when `signal`
 * aborts. `ref: false`: the timer does not keep the process alive.
 */
export async function sleep(ms: number, signal: AbortSignal, options: { ref?: boolean } = {}): Promise<void> {
  let left = Math.max(0, ms);
  do {
    const part = Math.min(left, MAX_TIMER_MS);
    try {
      await delay(part, undefined, { signal, ref: options.ref ?? true });
    } catch (e) {
      throw signal.aborted ? signal.reason : e;
    }
    left -= part;
  } while (left > 0);
}

/** Exponential backoff with full jitter over the upper half (so retries of many members spread out). */
export function backoffMs(
  failures: number,
  delay: number,
  maxDelay: number,
  factor: number,
  random = Math.random,
): number {
  const base = Math.min(maxDelay, delay * Math.pow(factor, Math.max(0, failures - 1)));
  return Math.round(base / 2 + random() * (base / 2));
}
