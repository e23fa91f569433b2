/**
 * Per-slot flags on App Configuration: `Name@<slot>` is stored as key `Name` with the label `<slot>`
 * (`<label>@<slot>` when the entry has a label), and an app in that slot reads it with Microsoft's
 * @azure/app-configuration-provider by selecting its slot's label after the shared one (a later selector's
 * setting wins for the same key). Against the App Configuration fake, which verifies the HMAC signing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { load } from "@azure/app-configuration-provider";
import { ConfigurationMapFeatureFlagProvider, FeatureManager } from "@microsoft/feature-management";
import { featureFlagPrefix } from "@azure/app-configuration";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import { testCert } from "./fakes/tls.js";
import { azureAppConfigProvider } from "../../src/providers/azure/appconfig-provider.js";
import type { AppConfigFlagStore } from "../../src/providers/azure/appconfig-flag-store.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { flagSet } from "../../src/actions/flag-set.js";
import { makeContext, providerContext, runAction } from "../support/context.js";

let fake: AppConfigFake;
beforeAll(async () => {
  fake = await startAppConfigFake();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.settings.clear();
  fake.requests.length = 0;
});

async function flagStore(extra: Record<string, unknown> = {}): Promise<AppConfigFlagStore> {
  const config = azureAppConfigProvider.config.parse({
    connectionStringSecret: "APPCONFIG_CS",
    caCertFile: testCert().certFile,
    retry: { maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 5 },
    ...extra,
  });
  return azureAppConfigProvider.create(
    config,
    providerContext({ APPCONFIG_CS: fake.connectionString }),
  ) as Promise<AppConfigFlagStore>;
}

const clientOptions = () => ({ tlsOptions: { ca: testCert().cert }, retryOptions: { maxRetries: 0 } });

/** What an app in `slot` sees through Microsoft.FeatureManagement: shared label first, its slot's after it. */
async function slotSees(flag: string, slot: string): Promise<boolean> {
  const settings = await load(fake.connectionString, {
    featureFlagOptions: {
      enabled: true,
      selectors: [
        { keyFilter: "*", labelFilter: "\0" },
        { keyFilter: "*", labelFilter: slot },
      ],
    },
    replicaDiscoveryEnabled: false,
    clientOptions: clientOptions(),
  });
  return new FeatureManager(new ConfigurationMapFeatureFlagProvider(settings)).isEnabled(flag);
}

describe("per-slot flags on App Configuration (Name@slot)", () => {
  it("stores Name@blue as key Name with label blue, which only the blue app sees", async () => {
    const flags = await flagStore();
    await flags.set("MaintenanceMode", false);
    await flags.set("MaintenanceMode@blue", true);
    const stored = fake.get(featureFlagPrefix + "MaintenanceMode", "blue");
    // The flag inside keeps the app-facing name: FeatureManager looks it up by `id`.
    expect(JSON.parse(stored?.value ?? "{}")).toMatchObject({ id: "MaintenanceMode", enabled: true });
    expect(fake.get(featureFlagPrefix + "MaintenanceMode@blue")).toBeUndefined();
    expect((await flags.get("MaintenanceMode@blue")).value).toBe(true);
    expect((await flags.get("MaintenanceMode")).value).toBe(false);
    expect(await slotSees("MaintenanceMode", "blue")).toBe(true);
    expect(await slotSees("MaintenanceMode", "green")).toBe(false);

    // Without its own value, a slot sees the shared one again.
    await flags.delete("MaintenanceMode@blue");
    expect(fake.get(featureFlagPrefix + "MaintenanceMode", "blue")).toBeUndefined();
    expect(await slotSees("MaintenanceMode", "blue")).toBe(false);
    await flags.set("MaintenanceMode", true);
    expect(await slotSees("MaintenanceMode", "green")).toBe(true);
    expect(fake.authFailures).toBe(0);
  });

  it("with an entry label, labels the slot's value <label>@<slot> (key-value mode, read by the provider)", async () => {
    const flags = await flagStore({ mode: "key-value", label: "production", keyPrefix: "Shop:" });
    await flags.set("ReadOnly", "no");
    await flags.set("ReadOnly@green", "yes");
    expect(fake.get("Shop:ReadOnly", "production@green")?.value).toBe("yes");
    expect(fake.get("Shop:ReadOnly", "production")?.value).toBe("no");
    const appIn = async (slot: string) =>
      (
        await load(fake.connectionString, {
          selectors: [
            { keyFilter: "Shop:*", labelFilter: "production" },
            { keyFilter: "Shop:*", labelFilter: `production@${slot}` },
          ],
          replicaDiscoveryEnabled: false,
          clientOptions: clientOptions(),
        })
      ).get<string>("Shop:ReadOnly");
    expect(await appIn("green")).toBe("yes");
    expect(await appIn("blue")).toBe("no");
  });

  it("drives flag.set with a per-slot name", async () => {
    const flags = await flagStore({ slots: ["blue", "green"] });
    const { ctx } = makeContext({ providers: { flags: { capabilities: ["flags"], client: flags } } });
    await runAction(flagSet, { name: "MaintenanceMode@green", value: true }, ctx);
    expect(await slotSees("MaintenanceMode", "green")).toBe(true);
    expect(await slotSees("MaintenanceMode", "blue")).toBe(false);
  });

  it("refuses @ with anything but a slot name, before sending anything", async () => {
    const any = await flagStore();
    const listed = await flagStore({ slots: ["blue", "green"] });
    const refusals: [AppConfigFlagStore, string][] = [
      [any, "MaintenanceMode@"],
      [any, "@blue"],
      [any, "MaintenanceMode@blue@green"],
      [any, "MaintenanceMode@blue&green"],
      [any, "MaintenanceMode@blue#x"],
      [any, "MaintenanceMode@-blue"],
      [listed, "MaintenanceMode@staging"],
    ];
    for (const [store, name] of refusals) {
      const e = await store.set(name, true).catch((x: unknown) => x);
      expect(isCutoverError(e, ErrorCode.Config) && e.message, name).toMatch(/"@" must be followed by a slot name/);
    }
    const e = await listed.get("MaintenanceMode@staging").catch((x: unknown) => x);
    expect(isCutoverError(e) && e.message).toMatch(/slot name \(blue, green\)/);
    expect(fake.requests).toEqual([]);
    expect(fake.settings.size).toBe(0);
    // The existing refusals stay: a label with & in the entry, ? # % in a name.
    expect(azureAppConfigProvider.config.safeParse({ endpoint: "https://x.azconfig.io", label: "a&b" }).success).toBe(
      false,
    );
    expect(
      azureAppConfigProvider.config.safeParse({ endpoint: "https://x.azconfig.io", slots: ["blue&green"] }).success,
    ).toBe(false);
    await expect(any.set("Main?x@blue", true)).rejects.toThrow(/contains \?, # or %/);
  });
});
