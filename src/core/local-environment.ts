/**
 * The two capabilities of the local environment (`provider: local`), as the
 * local.* actions use them. The local provider's client implements both (and
 * FlagStore); src/providers/local/client.ts talks to the supervisor.
 */
import type { AppSpec, DrainResult, LocalStatus, SlotName, SlotStatus } from "./slots.js";

/** Capability `local-slots`: run versions in the blue and green slots. */
export interface LocalSlotsClient {
  /** The environment's directory (state, logs). */
  readonly dir: string;
  /** Start the environment if it is not running. */
  ensureUp(signal?: AbortSignal): Promise<LocalStatus>;
  status(signal?: AbortSignal): Promise<LocalStatus>;
  /** Run `spec` in `slot` (no change when it already runs there). */
  deploy(slot: SlotName, spec: AppSpec, signal?: AbortSignal): Promise<{ changed: boolean; status: SlotStatus }>;
  /** Run `version` in `slot` again (its current or previous deployment). */
  revive(slot: SlotName, version: string, signal?: AbortSignal): Promise<{ changed: boolean; status: SlotStatus }>;
  /** Drain `slot`, then stop its process. */
  stop(
    slot: SlotName,
    opts: { drainTimeoutMs: number; killAfterMs: number },
    signal?: AbortSignal,
  ): Promise<{ changed: boolean; drain?: DrainResult }>;
}

/** Capability `local-proxy`: which slot the proxy routes to, and the drain of a slot's requests. */
export interface LocalProxyClient {
  status(signal?: AbortSignal): Promise<LocalStatus>;
  /** Make `slot` live; with `ifLive`, only if that slot is still the live one. */
  setLive(
    slot: SlotName,
    ifLive?: SlotName,
    signal?: AbortSignal,
  ): Promise<{ previous: SlotName; live: SlotName; changed: boolean }>;
  /** Resolves the moment the last request that was in flight on `slot` ends (or at `timeoutMs`). */
  waitDrained(
    slot: SlotName,
    opts: { writesOnly: boolean; timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<DrainResult>;
}
