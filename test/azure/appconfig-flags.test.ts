import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { load } from "@azure/app-configuration-provider";
import { ConfigurationMapFeatureFlagProvider, FeatureManager } from "@microsoft/feature-management";
import { featureFlagPrefix } from "@azure/app-configuration";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import { testCert } from "./fakes/tls.js";
import { azureAppConfigProvider } from "../../src/providers/azure/appconfig-provider.js";
import type { AppConfigFlagStore } from "../../src/providers/azure/appconfig-flag-store.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import type { Json } from "../../src/core/json.js";
import { flagSet } from "../../src/actions/flag-set.js";
import { makeContext, makeUndoContext, providerContext, runAction, undoAction } from "../support/context.js";

let fake: AppConfigFake;
beforeAll(async () => {
  fake = await startAppConfigFake();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.settings.clear();
  fake.faults.clear();
});

async function flagStore(extra: Record<string, unknown> = {}): Promise<AppConfigFlagStore> {
  const config = azureAppConfigProvider.config.parse({
    connectionStringSecret: "APPCONFIG_CS",
    caCertFile: testCert().certFile,
    retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 5 },
    ...extra,
  });
  return azureAppConfigProvider.create(
    config,
    providerContext({ APPCONFIG_CS: fake.connectionString }),
  ) as Promise<AppConfigFlagStore>;
}

/** What an app using Microsoft.FeatureManagement sees right now. */
async function appSees(flag: string): Promise<boolean> {
  const settings = await load(fake.connectionString, {
    featureFlagOptions: { enabled: true, selectors: [{ keyFilter: "*" }] },
    replicaDiscoveryEnabled: false,
    clientOptions: { tlsOptions: { ca: testCert().cert }, retryOptions: { maxRetries: 0 } },
  });
  return new FeatureManager(new ConfigurationMapFeatureFlagProvider(settings)).isEnabled(flag);
}

describe("azure-appconfig flag store", () => {
  it("writes a feature flag Microsoft.FeatureManagement reads as enabled, then disabled", async () => {
    const flags = await flagStore();
    expect(await flags.get("Maintenance")).toEqual({ value: undefined });
    const etag1 = await flags.set("Maintenance", true);
    expect(await appSees("Maintenance")).toBe(true);
    const read = await flags.get("Maintenance");
    expect(read).toEqual({ value: true, etag: etag1 });
    await flags.set("Maintenance", false, { ifEtag: etag1 });
    expect(await appSees("Maintenance")).toBe(false);
    expect(fake.authFailures).toBe(0);
  });

  it("drives the generic flag.set action: set, resume after a crash, undo restores the original", async () => {
    const flags = await flagStore({ mode: "key-value", label: "production" });
    await flags.set("Maint", false);
    const providers = { flags: { capabilities: ["flags"], client: flags } };
    const first = makeContext({ providers });
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
    };
    const res = await runAction(flagSet, { name: "Maint", value: true }, first.ctx);
    expect((await flags.get("Maint")).value).toBe(true);
    // A resumed attempt after a crash between the write and the success event records the true original.
    const again = await runAction(
      flagSet,
      { name: "Maint", value: true },
      makeContext({ providers, priorCheckpoint: first.seen.checkpoints[0] as Json, attempt: 2 }).ctx,
    );
    expect(again.recorded).toEqual(res.recorded);
    await undoAction(flagSet, { name: "Maint", value: true }, makeUndoContext(res.recorded as Json, { providers }).ctx);
    expect((await flags.get("Maint")).value).toBe(false);
  });

  it("keeps the rest of an existing flag (filters, description) when flipping it", async () => {
    const flags = await flagStore();
    fake.put(
      featureFlagPrefix + "Beta",
      JSON.stringify({
        id: "Beta",
        description: "keep me",
        enabled: false,
        conditions: { client_filters: [{ name: "Microsoft.Percentage", parameters: { Value: 50 } }] },
      }),
      { contentType: "application/vnd.microsoft.appconfig.ff+json;charset=utf-8" },
    );
    await flags.set("Beta", true);
    const stored = JSON.parse(fake.get(featureFlagPrefix + "Beta")?.value ?? "{}");
    expect(stored).toMatchObject({ id: "Beta", description: "keep me", enabled: true });
    expect(stored.conditions.client_filters[0].name).toBe("Microsoft.Percentage");
  });

  it("refuses to overwrite a flag changed since it was read (412 → changed by someone else)", async () => {
    const flags = await flagStore();
    const etag = await flags.set("Maint", true);
    fake.put(featureFlagPrefix + "Maint", JSON.stringify({ id: "Maint", enabled: false, conditions: {} }), {
      contentType: "application/vnd.microsoft.appconfig.ff+json;charset=utf-8",
    });
    const e = await flags.set("Maint", false, { ifEtag: etag }).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && /changed by someone else/.test(e.message)).toBe(true);
    const d = await flags.delete("Maint", { ifEtag: etag }).catch((x: unknown) => x);
    expect(isCutoverError(d, ErrorCode.Provider)).toBe(true);
    expect(fake.get(featureFlagPrefix + "Maint")).toBeDefined();
  });

  it("deletes a flag (restoring 'did not exist'), and deleting an absent flag succeeds", async () => {
    const flags = await flagStore();
    const etag = await flags.set("Gone", true);
    await flags.delete("Gone", { ifEtag: etag });
    expect(await flags.get("Gone")).toEqual({ value: undefined });
    await flags.delete("Gone");
  });

  it("key-value mode writes a labelled plain key", async () => {
    const flags = await flagStore({ mode: "key-value", label: "production", keyPrefix: "Shop:" });
    await flags.set("MaintenanceMode", true);
    expect(fake.get("Shop:MaintenanceMode", "production")).toMatchObject({
      value: "true",
      content_type: "application/json",
    });
    expect(fake.get("Shop:MaintenanceMode", null)).toBeUndefined();
    expect((await flags.get("MaintenanceMode")).value).toBe(true); // round-trips as the same value
    await flags.set("MaintenanceMode", "off");
    expect(fake.get("Shop:MaintenanceMode", "production")).toMatchObject({ value: "off", content_type: null });
    expect((await flags.get("MaintenanceMode")).value).toBe("off");
    await flags.set("Settings", { a: 1 });
    expect((await flags.get("Settings")).value).toEqual({ a: 1 });
  });

  it("retries throttling (429 with Retry-After) and 503 inside the SDK", async () => {
    const flags = await flagStore();
    fake.faults.add({ method: "GET", path: /^\/kv\//, fault: { kind: "status", status: 429, retryAfterMs: 10 } });
    fake.faults.add({ method: "PUT", path: /^\/kv\//, fault: { kind: "status", status: 503 } });
    await flags.set("Throttled", true);
    expect(fake.faults.injected).toBe(2);
    expect((await flags.get("Throttled")).value).toBe(true);
  });

  it("a hung request times out and is retried", async () => {
    const flags = await flagStore({
      retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 1, requestTimeoutMs: 150 },
    });
    fake.faults.add({ method: "GET", path: /^\/kv\//, fault: { kind: "hang" } });
    expect(await flags.get("Hung")).toEqual({ value: undefined });
    expect(fake.faults.injected).toBe(1);
  });

  it("survives a connection reset", async () => {
    const flags = await flagStore();
    fake.faults.add({ path: /^\/kv\//, fault: { kind: "reset" } });
    await flags.set("Reset", true);
    expect((await flags.get("Reset")).value).toBe(true);
  });

  it("names the flag in errors, and rejects names the SDK cannot address", async () => {
    const flags = await flagStore({ retry: { maxRetries: 0 } });
    fake.faults.add({ path: /^\/kv\//, fault: { kind: "status", status: 403 } });
    const e = await flags.get("Denied").catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.Provider) && /App Configuration Data Owner/.test(e.message)).toBe(true);
    await expect(flags.get("a?b")).rejects.toThrow(/\?/);
  });
});
