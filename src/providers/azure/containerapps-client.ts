/**
 * The Container Apps client the `azure.containerapp-deploy` and
 * `traffic.shift` actions use: a thin layer over @azure/arm-appcontainers
 * (ContainerApps_Get / ContainerApps_Update, a PATCH answered as a
 * long-running operation, and the revisions API) that deploys a revision at
 * 0 % with a label and reads and writes the traffic weights.
 */
import type { ContainerApp, ContainerAppsAPIClient, Revision } from "@azure/arm-appcontainers";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import { sleep } from "../../core/timers.js";
import type { TrafficScope, TrafficSplitClient, TrafficSplitState, Weights } from "../../core/traffic.js";
import { azureCall, translateAzureError } from "./errors.js";
import { labelsOf, pinTraffic, trafficFor, weightsOf, type TrafficEntry } from "./containerapps-traffic.js";

export interface ContainerAppRevisionsOptions {
  resourceGroup: string;
  defaultApp?: string;
  pollIntervalMs: number;
  provisionTimeoutMs: number;
}

/** What a new revision runs: the image of one container (and env values), under a chosen suffix. */
export interface RevisionSpec {
  image: string;
  /** The container to change (default: the template's first). */
  container?: string;
  /** `<app>--<suffix>` is the revision's name: a resumed deploy finds the revision it created. */
  suffix: string;
  label: string;
  env?: Record<string, string>;
}

export interface DeployedRevision {
  revisionName: string;
  changed: boolean;
  /** The revision's own host name (no scheme). */
  fqdn?: string;
  /** The app's host name (traffic split by weight). */
  appFqdn?: string;
  /** `<app>---<label>.<environment domain>`, when the app's host name has the usual form. */
  labelFqdn?: string;
  /** The traffic before the deploy, pinned to revision names (what undo restores). */
  previousTraffic: TrafficEntry[];
}

export class ContainerAppRevisions implements TrafficSplitClient {
  constructor(
    readonly arm: ContainerAppsAPIClient,
    readonly options: ContainerAppRevisionsOptions,
  ) {}

  appName(app: string | undefined): string {
    const name = app ?? this.options.defaultApp;
    if (!name)
      throw new CutoverError(
        ErrorCode.Config,
        "no container app named: set `app` on the step or on the azure-containerapps environment entry",
      );
    return name;
  }

  private where(operation: string, app: string) {
    return {
      service: "Container Apps" as const,
      operation,
      resource: `container app ${app} in resource group ${this.options.resourceGroup}`,
    };
  }

  async getApp(app: string, signal?: AbortSignal): Promise<ContainerApp> {
    return azureCall(this.where("read the app", app), () =>
      this.arm.containerApps.get(this.options.resourceGroup, app, { abortSignal: signal }),
    );
  }

  async getRevision(app: string, revision: string, signal?: AbortSignal): Promise<Revision | undefined> {
    try {
      return await this.arm.containerAppsRevisions.getRevision(this.options.resourceGroup, app, revision, {
        abortSignal: signal,
      });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw translateAzureError(e, this.where(`read revision ${revision}`, app));
    }
  }

  async listRevisions(app: string, signal?: AbortSignal): Promise<Revision[]> {
    return azureCall(this.where("list revisions", app), async () => {
      const out: Revision[] = [];
      for await (const r of this.arm.containerAppsRevisions.listRevisions(this.options.resourceGroup, app, {
        abortSignal: signal,
      }))
        out.push(r);
      return out;
    });
  }

  /** PATCH the app (JSON merge patch) and wait for the update to complete. */
  private async update(
    app: string,
    current: ContainerApp,
    patch: Partial<ContainerApp>,
    what: string,
    signal?: AbortSignal,
  ): Promise<ContainerApp> {
    return azureCall(this.where(what, app), () =>
      this.arm.containerApps.beginUpdateAndWait(
        this.options.resourceGroup,
        app,
        { location: current.location, ...patch },
        { abortSignal: signal, updateIntervalInMs: this.options.pollIntervalMs },
      ),
    );
  }

  /** The traffic array now, each entry named by its revision. */
  pinned(current: ContainerApp): TrafficEntry[] {
    return pinTraffic(current.configuration?.ingress?.traffic ?? [], current.latestRevisionName);
  }

  async readSplit(scope: TrafficScope, signal?: AbortSignal): Promise<TrafficSplitState> {
    const app = this.appName(scope.app);
    const current = await this.getApp(app, signal);
    const pinned = this.pinned(current);
    const revisions = await this.listRevisions(app, signal);
    return {
      weights: weightsOf(pinned),
      aliases: labelsOf(pinned),
      backends: revisions.filter((r) => r.active !== false && r.name).map((r) => r.name as string),
    };
  }

  async writeSplit(scope: TrafficScope, weights: Weights, signal?: AbortSignal): Promise<void> {
    const app = this.appName(scope.app);
    const current = await this.getApp(app, signal);
    const ingress = this.ingressOf(current, app);
    const traffic = trafficFor(weights, labelsOf(this.pinned(current)));
    await this.update(
      app,
      current,
      { configuration: { ingress: { ...ingress, traffic } } },
      "set traffic weights",
      signal,
    );
  }

  /** Put back a traffic array as it was (undo of a deploy): labels and weights both. */
  async restoreTraffic(app: string, traffic: TrafficEntry[], signal?: AbortSignal): Promise<void> {
    const current = await this.getApp(app, signal);
    const ingress = this.ingressOf(current, app);
    await this.update(app, current, { configuration: { ingress: { ...ingress, traffic } } }, "restore traffic", signal);
  }

  private ingressOf(current: ContainerApp, app: string) {
    const ingress = current.configuration?.ingress;
    if (!ingress)
      throw new CutoverError(ErrorCode.Config, `container app ${app} has no ingress: there is no traffic to split`, {
        hint: "enable ingress on the app (configuration.ingress) first",
      });
    return ingress;
  }

  /**
   * Create revision `<app>--<suffix>` running `spec.image` with 0 % of the traffic and label `spec.label`, in one
   * update that also pins `latestRevision` traffic to the revision it meant. A revision of that name already
   * there (a resumed deploy) is not created again.
   */
  async deployRevision(
    appArg: string | undefined,
    spec: RevisionSpec,
    signal?: AbortSignal,
  ): Promise<DeployedRevision> {
    const app = this.appName(appArg);
    const revisionName = `${app}--${spec.suffix}`;
    const current = await this.getApp(app, signal);
    if (current.configuration?.activeRevisionsMode !== "Multiple")
      throw new CutoverError(
        ErrorCode.Config,
        `container app ${app} is in ${current.configuration?.activeRevisionsMode ?? "Single"} revision mode: a new ` +
          "revision would take all the traffic at once",
        {
          hint: "set configuration.activeRevisionsMode to Multiple (az containerapp revision set-mode --mode multiple)",
        },
      );
    const ingress = this.ingressOf(current, app);
    const pinned = this.pinned(current);
    const existing = await this.getRevision(app, revisionName, signal);
    if (existing) {
      const image = this.containerOf(existing.template?.containers ?? [], spec, app).image;
      if (image !== spec.image)
        throw new CutoverError(
          ErrorCode.Config,
          `revision ${revisionName} already exists and runs ${image}, not ${spec.image}: a revision is immutable`,
          { hint: "choose another revisionSuffix for this image" },
        );
    }
    const labelled = labelsOf(pinned)[spec.label] === revisionName;
    if (existing && labelled) {
      await this.waitProvisioned(app, revisionName, signal);
      return this.describe(app, revisionName, false, pinned, signal);
    }
    const labels = { ...labelsOf(pinned), [spec.label]: revisionName };
    const traffic = trafficFor(weightsOf(pinned), labels);
    const patch: Partial<ContainerApp> = { configuration: { ingress: { ...ingress, traffic } } };
    if (!existing) {
      const template = current.template ?? {};
      const containers = (template.containers ?? []).map((c) => ({ ...c }));
      const target = this.containerOf(containers, spec, app);
      target.image = spec.image;
      if (spec.env) {
        const env = (target.env ?? []).filter((e) => !(e.name && Object.hasOwn(spec.env ?? {}, e.name)));
        target.env = [...env, ...Object.entries(spec.env).map(([name, value]) => ({ name, value }))];
      }
      patch.template = { ...template, containers, revisionSuffix: spec.suffix };
    }
    await this.update(app, current, patch, `deploy revision ${revisionName}`, signal);
    await this.waitProvisioned(app, revisionName, signal);
    return this.describe(app, revisionName, true, pinned, signal);
  }

  private containerOf<C extends { name?: string; image?: string }>(
    containers: C[],
    spec: RevisionSpec,
    app: string,
  ): C {
    const found = spec.container ? containers.find((c) => c.name === spec.container) : containers[0];
    if (!found)
      throw new CutoverError(ErrorCode.Config, `container app ${app} has no container ${spec.container ?? "(none)"}`);
    return found;
  }

  private async describe(
    app: string,
    revisionName: string,
    changed: boolean,
    previousTraffic: TrafficEntry[],
    signal?: AbortSignal,
  ): Promise<DeployedRevision> {
    const [current, revision] = await Promise.all([
      this.getApp(app, signal),
      this.getRevision(app, revisionName, signal),
    ]);
    const appFqdn = current.configuration?.ingress?.fqdn;
    const label = labelsOf(this.pinned(current));
    const ownLabel = Object.keys(label).find((l) => label[l] === revisionName);
    // `<app>.<domain>` → `<app>---<label>.<domain>` (learn.microsoft.com/azure/container-apps/traffic-splitting).
    const labelFqdn =
      appFqdn?.startsWith(`${app}.`) && ownLabel ? `${app}---${ownLabel}${appFqdn.slice(app.length)}` : undefined;
    return { revisionName, changed, fqdn: revision?.fqdn, appFqdn, labelFqdn, previousTraffic };
  }

  /** A revision is usable once Provisioned; Failed is final. */
  private async waitProvisioned(app: string, revisionName: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.options.provisionTimeoutMs;
    for (;;) {
      const r = await this.getRevision(app, revisionName, signal);
      const state = r?.provisioningState;
      if (state === "Provisioned") return;
      if (state === "Failed")
        throw new CutoverError(
          ErrorCode.Provider,
          `revision ${revisionName} of ${app} failed to provision: ${r?.provisioningError ?? "no reason given"}`,
          {
            retryable: false,
            hint: "read the revision's system logs (ContainerAppSystemLogs_CL) for why it did not start",
          },
        );
      if (Date.now() > deadline)
        throw new CutoverError(ErrorCode.Provider, `revision ${revisionName} of ${app} is still ${state ?? "absent"}`, {
          retryable: true,
        });
      await sleep(Math.max(50, this.options.pollIntervalMs), signal);
    }
  }

  /** Stop a revision (undo of a deploy): its replicas go away, it can be activated again. */
  async deactivate(app: string, revisionName: string, signal?: AbortSignal): Promise<void> {
    const r = await this.getRevision(app, revisionName, signal);
    if (!r || r.active === false) return;
    await azureCall(this.where(`deactivate revision ${revisionName}`, app), () =>
      this.arm.containerAppsRevisions.deactivateRevision(this.options.resourceGroup, app, revisionName, {
        abortSignal: signal,
      }),
    );
  }
}
