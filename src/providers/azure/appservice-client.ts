/**
 * The App Service slots client the `azure.*` actions use: a thin, typed layer
 * over @azure/arm-appservice v19 that hides the production-vs-slot method
 * pairs, translates errors into actionable ones, and exposes swaps as
 * long-running operations whose poller state can be saved and restored.
 */
import { restorePoller, type WebSiteManagementClient } from "@azure/arm-appservice";
import { azureCall } from "./errors.js";
import type { TrafficScope, TrafficSplitClient, TrafficSplitState, Weights } from "../../core/traffic.js";
import { readRouting, writeRouting } from "./appservice-routing.js";
import { OneDeployClient, type ScmAccess } from "./appservice-onedeploy.js";
import {
  PRODUCTION,
  type AppServiceSlotsOptions,
  type SlotInfo,
  type StickyNames,
  type SwapPoller,
} from "./appservice-types.js";

export { type AppServiceSlotsOptions, type SlotInfo, type StickyNames, type SwapPoller } from "./appservice-types.js";

export class AppServiceSlots implements TrafficSplitClient {
  constructor(
    readonly arm: WebSiteManagementClient,
    readonly options: AppServiceSlotsOptions,
    /** Token and CA for the slots' SCM (Kudu) sites: OneDeploy (azure.deploy `mode: onedeploy`). */
    private readonly scmAccess?: ScmAccess,
  ) {}

  /** The app to act on: the action's `app`, else the provider's. */
  appName(app: string | undefined): string {
    const name = app ?? this.options.defaultApp;
    if (!name) throw new Error("no app named: set `app` on the step or on the azure-appservice environment entry");
    return name;
  }

  private ctx(operation: string, app: string, slot?: string) {
    const where = `web app ${app}${slot ? ` slot ${slot}` : ""} in resource group ${this.options.resourceGroup}`;
    return { service: "App Service" as const, operation, resource: where };
  }

  private get rg(): string {
    return this.options.resourceGroup;
  }

  async getSlot(app: string, slot: string, signal?: AbortSignal): Promise<SlotInfo> {
    const site = await azureCall(this.ctx("read slot state", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.get(this.rg, app, { abortSignal: signal })
        : this.arm.webApps.getSlot(this.rg, app, slot, { abortSignal: signal }),
    );
    const s = site.slotSwapStatus;
    return {
      app,
      slot,
      state: site.state ?? "Unknown",
      defaultHostName: site.defaultHostName ?? "",
      slotSwapStatus: s?.timestampUtc
        ? {
            timestampUtc: new Date(s.timestampUtc).toISOString(),
            sourceSlotName: s.sourceSlotName ?? "",
            destinationSlotName: s.destinationSlotName ?? "",
          }
        : undefined,
      targetSwapSlot: site.targetSwapSlot ?? undefined,
      inProgressOperationId: site.inProgressOperationId ?? undefined,
    };
  }

  /**
   * `slot` as a swap with `other` sees it: both slots are read and the newest
   * `slotSwapStatus` of the two is taken, with an operation in progress on
   * either. The Microsoft.Web spec documents slotSwapStatus.timestampUtc only
   * as "the time the last successful slot swap completed", not which slot carries it;
   * public examples show it on production (the target), so neither slot alone
   * can be trusted (see docs/azure.md, "What cutover assumes about swaps").
   */
  async getSwapView(app: string, slot: string, other: string, signal?: AbortSignal): Promise<SlotInfo> {
    const [mine, theirs] = await Promise.all([this.getSlot(app, slot, signal), this.getSlot(app, other, signal)]);
    const a = mine.slotSwapStatus;
    const b = theirs.slotSwapStatus;
    const newest = !a ? b : !b ? a : Date.parse(b.timestampUtc) > Date.parse(a.timestampUtc) ? b : a;
    const preparedTowardsMe = theirs.targetSwapSlot?.toLowerCase() === slot.toLowerCase() ? other : undefined;
    return {
      ...mine,
      slotSwapStatus: newest,
      targetSwapSlot: mine.targetSwapSlot ?? preparedTowardsMe,
      inProgressOperationId: mine.inProgressOperationId ?? theirs.inProgressOperationId,
    };
  }

  async listAppSettings(app: string, slot: string, signal?: AbortSignal): Promise<Record<string, string>> {
    const d = await azureCall(this.ctx("list app settings", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.listApplicationSettings(this.rg, app, { abortSignal: signal })
        : this.arm.webApps.listApplicationSettingsSlot(this.rg, app, slot, { abortSignal: signal }),
    );
    return { ...(d.properties ?? {}) };
  }

  /** PUT replaces the whole set: callers read, modify, then write. */
  async replaceAppSettings(
    app: string,
    slot: string,
    properties: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    await azureCall(this.ctx("write app settings", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.updateApplicationSettings(this.rg, app, { properties }, { abortSignal: signal })
        : this.arm.webApps.updateApplicationSettingsSlot(this.rg, app, slot, { properties }, { abortSignal: signal }),
    );
  }

  /** Connection strings by name; values are secrets and never leave the action. */
  async listConnectionStrings(
    app: string,
    slot: string,
    signal?: AbortSignal,
  ): Promise<Record<string, { value: string; type: string }>> {
    const d = await azureCall(this.ctx("list connection strings", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.listConnectionStrings(this.rg, app, { abortSignal: signal })
        : this.arm.webApps.listConnectionStringsSlot(this.rg, app, slot, { abortSignal: signal }),
    );
    const out: Record<string, { value: string; type: string }> = {};
    for (const [k, v] of Object.entries(d.properties ?? {}))
      out[k] = { value: v.value ?? "", type: String(v.type ?? "") };
    return out;
  }

  /** Routing rules of the production host (capability `traffic-split`): backends `production` and the slots. */
  readSplit(scope: TrafficScope, signal?: AbortSignal): Promise<TrafficSplitState> {
    return readRouting({ arm: this.arm, resourceGroup: this.rg, app: this.appName(scope.app) }, signal);
  }

  writeSplit(scope: TrafficScope, weights: Weights, signal?: AbortSignal): Promise<void> {
    return writeRouting({ arm: this.arm, resourceGroup: this.rg, app: this.appName(scope.app) }, weights, signal);
  }

  async stickyNames(app: string, signal?: AbortSignal): Promise<StickyNames> {
    const r = await azureCall(this.ctx("read slot setting names", app), () =>
      this.arm.webApps.listSlotConfigurationNames(this.rg, app, { abortSignal: signal }),
    );
    return { appSettingNames: r.appSettingNames ?? [], connectionStringNames: r.connectionStringNames ?? [] };
  }

  async getLinuxFxVersion(app: string, slot: string, signal?: AbortSignal): Promise<string> {
    const c = await azureCall(this.ctx("read site config", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.getConfiguration(this.rg, app, { abortSignal: signal })
        : this.arm.webApps.getConfigurationSlot(this.rg, app, slot, { abortSignal: signal }),
    );
    return c.linuxFxVersion ?? "";
  }

  async setLinuxFxVersion(app: string, slot: string, linuxFxVersion: string, signal?: AbortSignal): Promise<void> {
    await azureCall(this.ctx("set the container image", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.updateConfiguration(this.rg, app, { linuxFxVersion }, { abortSignal: signal })
        : this.arm.webApps.updateConfigurationSlot(this.rg, app, slot, { linuxFxVersion }, { abortSignal: signal }),
    );
  }

  async power(app: string, slot: string, op: "start" | "stop" | "restart", signal?: AbortSignal): Promise<void> {
    const o = { abortSignal: signal };
    const w = this.arm.webApps;
    await azureCall(this.ctx(`${op} the slot`, app, slot), () => {
      if (slot === PRODUCTION)
        return op === "start"
          ? w.start(this.rg, app, o)
          : op === "stop"
            ? w.stop(this.rg, app, o)
            : w.restart(this.rg, app, o);
      return op === "start"
        ? w.startSlot(this.rg, app, slot, o)
        : op === "stop"
          ? w.stopSlot(this.rg, app, slot, o)
          : w.restartSlot(this.rg, app, slot, o);
    });
  }

  /** Start a swap of `source` into `target`; the POST is sent before this returns a poller. */
  beginSwap(app: string, source: string, target: string, signal?: AbortSignal): SwapPoller {
    // The slot-level endpoint covers production too: swapping staging into
    // production is POST …/slots/staging/slotsswap {targetSlot: production}.
    const [slot, other] = source === PRODUCTION ? [target, source] : [source, target];
    return this.arm.webApps.swapSlot(
      this.rg,
      app,
      slot,
      { targetSlot: other, preserveVnet: this.options.preserveVnet },
      {
        updateIntervalInMs: this.options.pollIntervalMs,
        abortSignal: signal,
      },
    );
  }

  /** Continue a swap from its serialized poller state (saved in the journal by a previous attempt). */
  restoreSwap(serialized: string, signal?: AbortSignal): SwapPoller {
    return restorePoller(this.arm, serialized, this.arm.webApps.swapSlot, {
      updateIntervalInMs: this.options.pollIntervalMs,
      abortSignal: signal,
    });
  }

  async applySlotConfig(app: string, slot: string, target: string, signal?: AbortSignal): Promise<void> {
    await azureCall(this.ctx(`apply ${target}'s slot settings (swap preview)`, app, slot), () =>
      this.arm.webApps.applySlotConfigurationSlot(
        this.rg,
        app,
        slot,
        { targetSlot: target, preserveVnet: this.options.preserveVnet },
        { abortSignal: signal },
      ),
    );
  }

  async resetSlotConfig(app: string, slot: string, signal?: AbortSignal): Promise<void> {
    await azureCall(this.ctx("reset the swap preview", app, slot), () =>
      this.arm.webApps.resetSlotConfigurationSlot(this.rg, app, slot, { abortSignal: signal }),
    );
  }

  /**
   * The slot's SCM (Kudu) site, found from the site's `Repository` host name: apps created since June 2024 may
   * have a unique default host name (<app>-<hash>.<region>.azurewebsites.net), so the name is read, not built.
   */
  async scmSite(app: string, slot: string, signal?: AbortSignal): Promise<OneDeployClient> {
    if (!this.scmAccess) throw new Error("this App Service client was made without SCM access");
    const site = await azureCall(this.ctx("read the SCM host name", app, slot), () =>
      slot === PRODUCTION
        ? this.arm.webApps.get(this.rg, app, { abortSignal: signal })
        : this.arm.webApps.getSlot(this.rg, app, slot, { abortSignal: signal }),
    );
    const repository = site.hostNameSslStates?.find((h) => h.hostType === "Repository")?.name;
    const host = repository ?? site.defaultHostName?.replace(/^([^.]+)/, "$1.scm");
    if (!host) throw new Error(`web app ${app} slot ${slot} reports no SCM host name`);
    return new OneDeployClient(`https://${host}`, this.scmAccess);
  }

  /** Run an operation against this client with error translation (for the swap poller). */
  call<T>(operation: string, app: string, slot: string | undefined, fn: () => Promise<T>): Promise<T> {
    return azureCall(this.ctx(operation, app, slot), fn);
  }
}
