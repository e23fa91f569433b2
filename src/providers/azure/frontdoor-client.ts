/**
 * The Front Door origins client azure.frontdoor-switch uses: a thin layer over
 * @azure/arm-cdn's `afdOrigins` (Microsoft.Cdn/profiles/originGroups/origins).
 * An update is a PATCH answered 200, or 202 with `Azure-AsyncOperation`, which
 * the SDK's poller follows to the end ("AFDOrigins_Update" in
 * specification/cdn/resource-manager/Microsoft.Cdn, Azure/azure-rest-api-specs).
 * After the resource is updated, Front Door still has to push the change to its
 * edge: the origin's read-only `deploymentStatus` (NotStarted, InProgress,
 * Succeeded, Failed) shows that, and the action waits for it.
 */
import type { CdnManagementClient } from "@azure/arm-cdn";
import { CutoverError, ErrorCode, isCutoverError } from "../../core/errors.js";

/** What the switch reads and writes on an origin. */
export interface OriginState {
  name: string;
  enabledState: "Enabled" | "Disabled";
  priority: number;
  weight: number;
  /** Front Door's propagation of the last change: NotStarted, InProgress, Succeeded, Failed. */
  deploymentStatus: string;
  provisioningState: string;
}

export type OriginChange = Partial<Pick<OriginState, "enabledState" | "priority" | "weight">>;

export interface FrontDoorOptions {
  resourceGroup: string;
  profile: string;
  pollIntervalMs: number;
}

/** The role that allows reading and updating origins. */
const ROLE = "CDN Profile Contributor (or Contributor) on the Front Door profile";

function frontDoorError(e: unknown, operation: string, resource: string): unknown {
  if (isCutoverError(e) || (e as { name?: string } | null)?.name === "AbortError") return e;
  const status = (e as { statusCode?: number }).statusCode;
  const message = ((e as Error).message ?? String(e)).split("\n")[0];
  const where = `Front Door: ${operation} (${resource})`;
  if (status === 401 || status === 403)
    return new CutoverError(ErrorCode.Provider, `${where}: permission denied (${message})`, {
      hint: `Grant ${ROLE} to the identity cutover runs as.`,
      details: { status },
      cause: e,
    });
  if (status === 404)
    return new CutoverError(ErrorCode.Config, `${where}: not found (${message})`, {
      hint: "Check the entry's profile and resource group, and the step's originGroup and origin names.",
      details: { status },
      cause: e,
    });
  return new CutoverError(ErrorCode.Provider, `${where}: ${message}`, {
    retryable: status === undefined || status >= 500 || status === 409 || status === 429,
    details: { status },
    cause: e,
  });
}

export class FrontDoorOrigins {
  constructor(
    readonly cdn: CdnManagementClient,
    readonly options: FrontDoorOptions,
  ) {}

  private where(group: string, origin: string): string {
    return `origin ${origin} of origin group ${group} in profile ${this.options.profile}`;
  }

  async get(group: string, origin: string, signal?: AbortSignal): Promise<OriginState> {
    const { resourceGroup, profile } = this.options;
    try {
      const o = await this.cdn.afdOrigins.get(resourceGroup, profile, group, origin, { abortSignal: signal });
      return {
        name: o.name ?? origin,
        enabledState: o.enabledState === "Disabled" ? "Disabled" : "Enabled",
        // The spec's defaults when a field is unset: priority 1, weight 1000 ("AFDOriginProperties").
        priority: o.priority ?? 1,
        weight: o.weight ?? 1000,
        deploymentStatus: o.deploymentStatus ?? "NotStarted",
        provisioningState: o.provisioningState ?? "Succeeded",
      };
    } catch (e) {
      throw frontDoorError(e, "read origin", this.where(group, origin));
    }
  }

  /** PATCH the origin and follow the long-running operation to its end. */
  async update(group: string, origin: string, change: OriginChange, signal?: AbortSignal): Promise<void> {
    const { resourceGroup, profile, pollIntervalMs } = this.options;
    try {
      await this.cdn.afdOrigins.beginUpdateAndWait(resourceGroup, profile, group, origin, change, {
        abortSignal: signal,
        updateIntervalInMs: pollIntervalMs,
      });
    } catch (e) {
      throw frontDoorError(e, `update origin (${JSON.stringify(change)})`, this.where(group, origin));
    }
  }
}
