/**
 * The TrafficSplit capability: a router that sends a share of the requests to
 * each of several backends, in whole percents summing to 100. The local
 * proxy's backends are its slots (`blue`, `green`); a Container App's are its
 * revisions, some of which carry a label (`green`) that names them.
 *
 * `traffic.shift` (src/actions/traffic-shift.ts) moves weight step by step from
 * one backend to another through this interface, re-reading the observed split
 * before each write so a resumed run neither repeats nor overrides a change.
 */
import { capability } from "./capabilities.js";

/** Percent of the requests per backend; a backend not listed gets none. */
export type Weights = Record<string, number>;

/** What a router reports. */
export interface TrafficSplitState {
  /** The observed weights, by backend name (revision names, slot names). Only non-zero ones are required. */
  weights: Weights;
  /** Other names of backends (a Container Apps label → its revision name); a step may name either. */
  aliases: Record<string, string>;
  /** Every backend that can take traffic (a running revision with no weight, the idle slot). */
  backends: string[];
}

/** Options every call carries: which router of the provider (a Container App's name; the local proxy has one). */
export interface TrafficScope {
  app?: string;
}

/** Capability `traffic-split`: weighted routing between backends. */
export interface TrafficSplitClient {
  readSplit(scope: TrafficScope, signal?: AbortSignal): Promise<TrafficSplitState>;
  /**
   * Route by `weights` (whole percents summing to 100; backends not listed get 0). Waits until the router
   * applies them (a Container App's update has completed), so the next read sees them.
   */
  writeSplit(scope: TrafficScope, weights: Weights, signal?: AbortSignal): Promise<void>;
}

export const TrafficSplit = capability<TrafficSplitClient>("traffic-split");

/** The backend a name designates: itself or what it is an alias of. */
export function resolveBackend(state: TrafficSplitState, name: string): string | undefined {
  if (Object.hasOwn(state.aliases, name)) return state.aliases[name];
  if (state.backends.includes(name) || Object.hasOwn(state.weights, name)) return name;
  return undefined;
}

/** Weights with the zero entries left out, keys sorted: two splits are the same when these are deep-equal. */
export function normaliseWeights(w: Weights): Weights {
  return Object.fromEntries(
    Object.entries(w)
      .filter(([, v]) => v > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return JSON.stringify(normaliseWeights(a)) === JSON.stringify(normaliseWeights(b));
}

/** `{ green: 10, blue: 90 }` as "blue 90 %, green 10 %". */
export function describeWeights(w: Weights): string {
  const entries = Object.entries(normaliseWeights(w));
  return entries.length ? entries.map(([k, v]) => `${k} ${v} %`).join(", ") : "no traffic";
}
