/**
 * App Service "testing in production": the production site's routing rules
 * (`siteConfig.experiments.rampUpRules`) send a percentage of the production
 * host's requests to a slot's host. As a TrafficSplit (traffic.shift), the
 * backends are `production` and the slot names: a slot's weight is its rule's
 * `reroutePercentage`, production keeps the rest. Each write replaces the whole
 * rule list (az webapp traffic-routing set does the same).
 */
import type { WebSiteManagementClient } from "@azure/arm-appservice";
import { CutoverError, ErrorCode } from "../../core/errors.js";
import type { TrafficSplitState, Weights } from "../../core/traffic.js";
import { azureCall } from "./errors.js";
import { PRODUCTION } from "./appservice-types.js";

interface Where {
  arm: WebSiteManagementClient;
  resourceGroup: string;
  app: string;
}

const ctx = (w: Where, operation: string) => ({
  service: "App Service" as const,
  operation,
  resource: `web app ${w.app} in resource group ${w.resourceGroup}`,
});

export async function readRouting(w: Where, signal?: AbortSignal): Promise<TrafficSplitState> {
  const config = await azureCall(ctx(w, "read the routing rules"), () =>
    w.arm.webApps.getConfiguration(w.resourceGroup, w.app, { abortSignal: signal }),
  );
  const slots = await slotNames(w, signal);
  const weights: Weights = {};
  let rerouted = 0;
  for (const rule of config.experiments?.rampUpRules ?? []) {
    const name = rule.name ?? "";
    const percent = rule.reroutePercentage ?? 0;
    weights[name] = (weights[name] ?? 0) + percent;
    rerouted += percent;
  }
  weights[PRODUCTION] = Math.max(0, 100 - rerouted);
  return { weights, aliases: {}, backends: [PRODUCTION, ...slots] };
}

export async function writeRouting(w: Where, weights: Weights, signal?: AbortSignal): Promise<void> {
  const hosts = await azureCall(ctx(w, "list the slots"), async () => {
    const found = new Map<string, string>();
    for await (const site of w.arm.webApps.listSlots(w.resourceGroup, w.app, { abortSignal: signal }))
      if (site.defaultHostName) found.set((site.name ?? "").split("/").pop() ?? "", site.defaultHostName);
    return found;
  });
  const rampUpRules = Object.entries(weights)
    .filter(([name, percent]) => name !== PRODUCTION && percent > 0)
    .map(([name, percent]) => {
      const actionHostName = hosts.get(name);
      if (!actionHostName)
        throw new CutoverError(ErrorCode.Config, `web app ${w.app} has no slot ${name} to route traffic to`);
      return { name, actionHostName, reroutePercentage: percent };
    });
  await azureCall(ctx(w, "set the routing rules"), () =>
    w.arm.webApps.updateConfiguration(
      w.resourceGroup,
      w.app,
      { experiments: { rampUpRules } },
      { abortSignal: signal },
    ),
  );
}

async function slotNames(w: Where, signal?: AbortSignal): Promise<string[]> {
  return azureCall(ctx(w, "list the slots"), async () => {
    const names: string[] = [];
    for await (const site of w.arm.webApps.listSlots(w.resourceGroup, w.app, { abortSignal: signal }))
      names.push((site.name ?? "").split("/").pop() ?? "");
    return names.filter(Boolean);
  });
}
