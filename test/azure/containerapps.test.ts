/**
 * azure.containerapp-deploy and traffic.shift on Azure Container Apps, through
 * the real @azure/arm-appcontainers SDK against the fake ARM server
 * (fakes/containerapps-server.ts): a revision at 0 % with a label that pins
 * `latestRevision` traffic, its own host name answering, weighted steps that
 * keep the labels, undo, and refusals.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureContainerAppDeploy } from "../../src/actions/containerapp-deploy.js";
import { trafficShift } from "../../src/actions/traffic-shift.js";
import { azureContainerAppsProvider } from "../../src/providers/azure/containerapps-provider.js";
import type { ContainerAppRevisions } from "../../src/providers/azure/containerapps-client.js";
import { startContainerAppsFake, type ContainerAppsFake } from "./fakes/containerapps-server.js";
import { testCert } from "./fakes/tls.js";
import { RG, SUB } from "./arm-helpers.js";
import {
  makeContext,
  makeUndoContext,
  providerContext,
  runActionParsed,
  undoParsedAction,
} from "../support/context.js";

let fake: ContainerAppsFake;
let client: ContainerAppRevisions;
beforeAll(async () => {
  fake = await startContainerAppsFake();
  const config = azureContainerAppsProvider.config.parse({
    subscriptionId: SUB,
    resourceGroup: RG,
    app: "shop",
    endpoint: fake.url,
    caCertFile: testCert().certFile,
    pollIntervalMs: 1,
    retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 5 },
  });
  client = await azureContainerAppsProvider.create(config, providerContext());
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.apps.clear();
  fake.requests.length = 0;
  fake.served.clear();
  fake.addApp("shop");
});

const providers = () => ({ app: { capabilities: ["containerapps", "traffic-split"], client } });
const ctx = (priorCheckpoint?: Json) => makeContext({ providers: providers(), priorCheckpoint });
const deploy = { image: "shop.azurecr.io/shop:2.0.0", revisionSuffix: "v2" };
const patches = () => fake.requests.filter((r) => r.startsWith("PATCH")).length;
const traffic = () => fake.apps.get("shop")!.ingress.traffic;

async function get(url: string): Promise<{ status: number; body: { revision?: string; image?: string } }> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    request(url, { ca: testCert().cert }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || "{}") as never }));
    })
      .on("error", reject)
      .end();
  });
}

describe("azure.containerapp-deploy", () => {
  it("creates <app>--v2 at 0 % with label green, pinning the latestRevision traffic to v1; a re-run changes nothing", async () => {
    const run = ctx();
    const out = await runActionParsed(azureContainerAppDeploy, deploy, run.ctx);
    expect(out.result.outputs).toMatchObject({ revision: "shop--v2", changed: true });
    // Without the pin, `latestRevision: true` would have given the new revision all the traffic at once.
    expect(traffic()).toEqual([
      { revisionName: "shop--v1", weight: 100 },
      { revisionName: "shop--v2", weight: 0, label: "green" },
    ]);
    expect(fake.apps.get("shop")!.revisions.get("shop--v2")!.provisioningState).toBe("Provisioned");
    // The SDK followed the update's Azure-AsyncOperation URL until Succeeded.
    expect(fake.requests.filter((r) => r.includes("/containerappOperationResults/")).length).toBeGreaterThanOrEqual(2);
    const rev = await get(`${String(out.result.outputs!.revisionUrl)}/health`);
    expect(rev.body).toMatchObject({ revision: "shop--v2", image: deploy.image });
    const app = await get(`${String(out.result.outputs!.appUrl)}/`);
    expect(app.body.revision).toBe("shop--v1");
    expect(out.result.recorded).toEqual({
      app: "shop",
      revision: "shop--v2",
      previousTraffic: [{ revisionName: "shop--v1", weight: 100 }],
    });

    const before = patches();
    const again = await runActionParsed(azureContainerAppDeploy, deploy, ctx(run.seen.checkpoints[0]).ctx);
    expect(again.result.outputs!.changed).toBe(false);
    expect(patches()).toBe(before);
  });

  it("undo restores the traffic array and deactivates the revision", async () => {
    const out = await runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx);
    await undoParsedAction(
      azureContainerAppDeploy,
      out.input,
      out.result.recorded as Json,
      makeUndoContext(out.result.recorded as Json, { providers: providers() }).ctx,
    );
    expect(traffic()).toEqual([{ revisionName: "shop--v1", weight: 100 }]);
    expect(fake.apps.get("shop")!.revisions.get("shop--v2")!.active).toBe(false);
  });

  it("refuses an app in single revision mode, and a suffix that already runs another image", async () => {
    fake.apps.clear();
    fake.addApp("shop", { mode: "Single" });
    await expect(runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx)).rejects.toThrow(/Single revision mode/);
    expect(patches()).toBe(0);
    fake.apps.clear();
    fake.addApp("shop");
    await runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx);
    await expect(
      runActionParsed(azureContainerAppDeploy, { ...deploy, image: "shop.azurecr.io/shop:2.0.1" }, ctx().ctx),
    ).rejects.toThrow(/already exists and runs shop.azurecr.io\/shop:2.0.0/);
  });

  it("a revision that fails to provision fails the step with the reason", async () => {
    fake.apps.get("shop")!.failNextRevision = "container web exited with code 1";
    await expect(runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx)).rejects.toThrow(
      /shop--v2 of shop failed to provision: container web exited with code 1/,
    );
  });
});

describe("traffic.shift on Container Apps revisions", () => {
  it("moves the label green from 0 to 10, 50, 100 % keeping the labels; undo puts v1 back at 100 %", async () => {
    await runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx);
    const run = ctx();
    const out = await runActionParsed(
      trafficShift,
      { to: "green", steps: [10, 50, 100], bake: { duration: "0s" } },
      run.ctx,
    );
    expect(out.result.outputs).toMatchObject({ from: "shop--v1", to: "shop--v2", weights: { "shop--v2": 100 } });
    expect(run.seen.checkpoints.map((c) => (c as { current: Json }).current)).toContainEqual({
      "shop--v1": 50,
      "shop--v2": 50,
    });
    expect(traffic()).toEqual([{ revisionName: "shop--v2", weight: 100, label: "green" }]);
    const app = await get(`https://${(await client.getApp("shop")).configuration!.ingress!.fqdn}/`);
    expect(app.body.revision).toBe("shop--v2");

    await undoParsedAction(
      trafficShift,
      out.input,
      out.result.recorded as Json,
      makeUndoContext(out.result.recorded as Json, { providers: providers() }).ctx,
    );
    expect(traffic()).toEqual([
      { revisionName: "shop--v1", weight: 100 },
      { revisionName: "shop--v2", weight: 0, label: "green" },
    ]);
  });

  it("the app's host splits requests by the weights written", async () => {
    await runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx);
    await client.writeSplit({ app: "shop" }, { "shop--v1": 90, "shop--v2": 10 });
    const url = `https://${(await client.getApp("shop")).configuration!.ingress!.fqdn}/`;
    for (let i = 0; i < 200; i++) await get(url);
    expect(fake.served.get("shop--v2") ?? 0).toBeGreaterThanOrEqual(4);
    expect(fake.served.get("shop--v2") ?? 0).toBeLessThanOrEqual(50);
  });

  it("refuses to continue over traffic someone else changed since the journaled weight", async () => {
    await runActionParsed(azureContainerAppDeploy, deploy, ctx().ctx);
    await client.writeSplit({ app: "shop" }, { "shop--v1": 90, "shop--v2": 10 });
    fake.setTraffic("shop", [
      { revisionName: "shop--v1", weight: 100 },
      { revisionName: "shop--v2", weight: 0, label: "green" },
    ]);
    const prior = {
      from: "shop--v1",
      to: "shop--v2",
      previous: { "shop--v1": 100 },
      current: { "shop--v1": 90, "shop--v2": 10 },
      applied: 0,
      baked: 0,
    };
    const before = patches();
    await expect(
      runActionParsed(trafficShift, { to: "green", steps: [10, 50], bake: { duration: "0s" } }, ctx(prior).ctx),
    ).rejects.toThrow(/changed since this step last set it/);
    expect(patches()).toBe(before);
  });
});
