/**
 * App Configuration keys the SDK cannot address and keys it may not change:
 * labels / key prefixes with `&`, `#`, `?`, `%` (sent unencoded by
 * @azure/app-configuration 1.12) are refused at validation, located; a
 * locked (read-only) key is named as locked and not retried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PlaybookInvalidError, isCutoverError, type Problem } from "../../src/core/errors.js";
import { validatePlaybookText } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";
import { azureAppConfigProvider } from "../../src/providers/azure/appconfig-provider.js";
import type { AppConfigFlagStore } from "../../src/providers/azure/appconfig-flag-store.js";
import { startAppConfigFake, type AppConfigFake } from "./fakes/appconfig-server.js";
import { testCert } from "./fakes/tls.js";
import { providerContext } from "../support/context.js";

function problems(flags: string): Problem[] {
  const yaml = [
    "version: 1",
    "name: t",
    "environment:",
    "  flags:",
    "    provider: azure-appconfig",
    "    endpoint: https://appcs-shop.azconfig.io",
    flags,
    "steps:",
    "  - id: m",
    "    action: flag.set",
    "    with: { name: Maintenance, value: true }",
    "",
  ].join("\n");
  try {
    validatePlaybookText("p.yaml", yaml, registries);
  } catch (e) {
    expect(e).toBeInstanceOf(PlaybookInvalidError);
    return (e as PlaybookInvalidError).problems;
  }
  return [];
}

describe("App Configuration labels and key prefixes the SDK would send unencoded", () => {
  it.each(["blue&green", "a#b", "x?y", "50%"])("refuses label %j at its line", (label) => {
    const p = problems(`    label: ${JSON.stringify(label)}`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ line: 7, path: "environment.flags.label" });
    expect(p[0]?.message).toMatch(/must not contain &, #, \? or %/);
  });

  it("refuses a key prefix with &", () => {
    const p = problems('    mode: key-value\n    keyPrefix: "Shop&Co:"');
    expect(p.map((x) => [x.line, x.path])).toEqual([[8, "environment.flags.keyPrefix"]]);
  });

  it("accepts ordinary labels", () => {
    expect(problems("    label: blue-green.v2_prod:eu")).toEqual([]);
  });
});

describe("a locked App Configuration key", () => {
  let fake: AppConfigFake;
  beforeAll(async () => {
    fake = await startAppConfigFake();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake.settings.clear());

  async function store(): Promise<AppConfigFlagStore> {
    const config = azureAppConfigProvider.config.parse({
      connectionStringSecret: "APPCONFIG_CS",
      caCertFile: testCert().certFile,
      mode: "key-value",
      label: "production",
      retry: { maxRetries: 0 },
    });
    return azureAppConfigProvider.create(
      config,
      providerContext({ APPCONFIG_CS: fake.connectionString }),
    ) as Promise<AppConfigFlagStore>;
  }

  it("is reported as locked, not as changed by someone else, and is not retryable", async () => {
    const flags = await store();
    await flags.set("Maint", false);
    fake.settings.get("Maint\u0000production")!.locked = true;
    const err = await flags.set("Maint", true).catch((e: unknown) => e);
    expect(isCutoverError(err)).toBe(true);
    expect((err as Error).message).toMatch(/is locked \(read-only\)/);
    expect((err as Error).message).not.toMatch(/someone else/);
    expect((err as { retryable?: boolean }).retryable).toBe(false);
    const del = await flags.delete("Maint").catch((e: unknown) => e);
    expect((del as Error).message).toMatch(/is locked/);
    expect((await flags.get("Maint")).value).toBe(false);
  });
});
