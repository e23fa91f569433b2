/**
 * The `local` provider's client: what actions use to drive the local
 * environment (capabilities `local-slots`, `local-proxy`, `flags`). It talks to the detached
 * supervisor over its admin API and implements FlagStore, so the generic
 * `flag.set` action works against `target: app`.
 */
import type { Json } from "../../core/json.js";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { FlagStore, FlagValue } from "../../core/flag-store.js";
import type { Fenceable } from "../../core/action.js";
import { adminCall } from "./admin-client.js";
import type { TrafficSplitClient, TrafficSplitState, Weights } from "../../core/traffic.js";
import { localUp } from "./lifecycle.js";
import {
  SLOT_NAMES,
  isSlotName,
  otherSlot,
  type AppSpec,
  type DrainResult,
  type LocalStatus,
  type SlotName,
  type SlotStatus,
} from "../../core/slots.js";

export interface LocalClientOptions {
  dir: string;
  publicPort?: number;
  baseline?: AppSpec;
  /** Sent with every change: the supervisor refuses a run whose lease token is stale. */
  fence?: { environment: string; token: number };
}

export class LocalClient implements FlagStore, TrafficSplitClient, Fenceable<LocalClient> {
  readonly kind = "local";
  constructor(readonly options: LocalClientOptions) {}

  /** A client whose changes carry `fence` (the engine binds each attempt's clients to the run's lease). */
  withFence(fence: { environment: string; token: number }): LocalClient {
    return new LocalClient({ ...this.options, fence: { environment: fence.environment, token: fence.token } });
  }

  private get fence(): { fence?: { environment: string; token: number } } {
    return this.options.fence ? { fence: this.options.fence } : {};
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Start the environment if it is not running (a release from a clean clone needs no separate `up`). */
  async ensureUp(signal?: AbortSignal): Promise<LocalStatus> {
    const out = await localUp({
      dir: this.dir,
      publicPort: this.options.publicPort,
      baseline: this.options.baseline,
      signal,
    });
    return out.status;
  }

  status(signal?: AbortSignal): Promise<LocalStatus> {
    return adminCall<LocalStatus>(this.dir, "GET", "/v1/status", undefined, { signal, timeoutMs: 10_000 });
  }

  deploy(slot: SlotName, spec: AppSpec, signal?: AbortSignal): Promise<{ changed: boolean; status: SlotStatus }> {
    return adminCall(this.dir, "PUT", `/v1/slots/${slot}`, { spec }, { signal, ...this.fence });
  }

  /** Run `version` in `slot` again (its current or previous deployment). */
  revive(slot: SlotName, version: string, signal?: AbortSignal): Promise<{ changed: boolean; status: SlotStatus }> {
    return adminCall(this.dir, "POST", `/v1/slots/${slot}/revive`, { version }, { signal, ...this.fence });
  }

  stop(
    slot: SlotName,
    opts: { drainTimeoutMs: number; killAfterMs: number },
    signal?: AbortSignal,
  ): Promise<{ changed: boolean; drain?: DrainResult }> {
    const q = `drainTimeoutMs=${opts.drainTimeoutMs}&killAfterMs=${opts.killAfterMs}`;
    return adminCall(this.dir, "DELETE", `/v1/slots/${slot}?${q}`, undefined, { signal, ...this.fence });
  }

  setLive(
    slot: SlotName,
    ifLive?: SlotName,
    signal?: AbortSignal,
  ): Promise<{ previous: SlotName; live: SlotName; changed: boolean }> {
    return adminCall(this.dir, "PUT", "/v1/live", { slot, ifLive }, { signal, ...this.fence });
  }

  /** The proxy's split (capability `traffic-split`): backends `blue` and `green`, aliases `live` and `idle`. */
  async readSplit(_scope: unknown, signal?: AbortSignal): Promise<TrafficSplitState> {
    const status = await this.status(signal);
    const weights: Weights = { blue: 0, green: 0 };
    weights[status.live] = 100 - (status.canary?.percent ?? 0);
    if (status.canary) weights[status.canary.slot] = status.canary.percent;
    return { weights, aliases: { live: status.live, idle: otherSlot(status.live) }, backends: [...SLOT_NAMES] };
  }

  async writeSplit(_scope: unknown, weights: Weights, signal?: AbortSignal): Promise<void> {
    const bad = Object.keys(weights).filter((k) => !isSlotName(k));
    if (bad.length)
      throw new CutoverError(ErrorCode.Config, `the local proxy routes to blue and green only, not ${bad.join(", ")}`);
    await adminCall(this.dir, "PUT", "/v1/weights", { weights }, { signal, ...this.fence });
  }

  /** Long-poll: resolves the moment the last request that was in flight on `slot` ends. */
  waitDrained(
    slot: SlotName,
    opts: { writesOnly: boolean; timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<DrainResult> {
    const q = `slot=${slot}&writesOnly=${opts.writesOnly}&timeoutMs=${opts.timeoutMs}`;
    return adminCall(this.dir, "GET", `/v1/drain?${q}`, undefined, { signal });
  }

  /**
   * The first flag operation of a client starts the environment if it is down, like a deploy does: a
   * release whose first local step is `flag.set` (maintenance on) starts from the playbook's baseline.
   */
  private up?: Promise<LocalStatus>;
  private ensureUpOnce(signal?: AbortSignal): Promise<LocalStatus> {
    this.up ??= this.ensureUp(signal).catch((e: unknown) => {
      this.up = undefined;
      throw e;
    });
    return this.up;
  }

  async get(name: string, options?: { signal?: AbortSignal }): Promise<FlagValue> {
    await this.ensureUpOnce(options?.signal);
    const out = await adminCall<{ exists: boolean; value?: Json; etag?: string }>(
      this.dir,
      "GET",
      `/v1/flags/${encodeURIComponent(name)}`,
      undefined,
      {
        signal: options?.signal,
      },
    );
    return out.exists ? { value: out.value, etag: out.etag } : { value: undefined };
  }

  async set(
    name: string,
    value: Json,
    options?: { ifEtag?: string; signal?: AbortSignal },
  ): Promise<string | undefined> {
    const out = await adminCall<{ etag: string; pending: SlotName[] }>(
      this.dir,
      "PUT",
      `/v1/flags/${encodeURIComponent(name)}`,
      { value, ifEtag: options?.ifEtag },
      { signal: options?.signal, ...this.fence },
    );
    this.checkApplied(name, out.pending);
    return out.etag;
  }

  async delete(name: string, options?: { ifEtag?: string; signal?: AbortSignal }): Promise<void> {
    const q = options?.ifEtag ? `?ifEtag=${encodeURIComponent(options.ifEtag)}` : "";
    const out = await adminCall<{ pending: SlotName[] }>(
      this.dir,
      "DELETE",
      `/v1/flags/${encodeURIComponent(name)}${q}`,
      undefined,
      {
        signal: options?.signal,
        ...this.fence,
      },
    );
    this.checkApplied(name, out.pending);
  }

  /** A flag is only "set" once every running app has applied it (no write slips past MaintenanceMode). */
  private checkApplied(name: string, pending: SlotName[]): void {
    if (pending.length === 0) return;
    throw new CutoverError(
      ErrorCode.Provider,
      `flag ${name} was written but slot ${pending.join(", ")} has not applied it yet`,
      {
        hint: "check the app's log in the local environment's logs/ directory",
        retryable: true,
      },
    );
  }
}
