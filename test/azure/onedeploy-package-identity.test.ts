/**
 * azure.deploy run-from-package with a managed identity (no SAS to expire) and
 * the refusal of a package SAS that expires before the run may still need it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureDeploy } from "../../src/actions/azure-deploy.js";
import { sasExpiry } from "../../src/actions/azure-deploy-sas.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { armSlots } from "./arm-helpers.js";
import { failureOf, makeContext, makeUndoContext, runAction, undoAction } from "../support/context.js";

let arm: ArmFake;
let slots: AppServiceSlots;
beforeAll(async () => {
  arm = await startArmFake({ sites: false });
  slots = await armSlots(arm);
});
afterAll(async () => {
  await arm?.close();
});
beforeEach(() => {
  arm.apps.clear();
  arm.requests.length = 0;
  arm.addApp("shop", {
    settings: { staging: { WEBSITE_RUN_FROM_PACKAGE: "https://st.blob.core.windows.net/b/v1.zip?se=x&sig=OLD" } },
  });
});

const providers = () => ({ app: { capabilities: ["appservice"], client: slots } });
const IDENTITY =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/" +
  "Microsoft.ManagedIdentity/userAssignedIdentities/shop-deploy";
const BLOB = "https://st.blob.core.windows.net/builds/shop-v2.zip";
const settingWrites = () => arm.requests.filter((r) => r.startsWith("PUT") && r.endsWith("/config/appsettings")).length;
const sasUrl = (expiry: Date) =>
  `${BLOB}?sv=2024-08-04&se=${encodeURIComponent(expiry.toISOString())}&sr=b&sp=r&sig=SECRETSIG`;

describe("azure.deploy package with a managed identity", () => {
  it("writes the blob URL and WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID; undo restores both", async () => {
    const { ctx } = makeContext({ providers: providers() });
    const step = { package: BLOB, packageIdentity: IDENTITY };
    const res = await runAction(azureDeploy, step, ctx);
    const settings = arm.slot("shop", "staging").appSettings;
    expect(settings.WEBSITE_RUN_FROM_PACKAGE).toBe(BLOB);
    expect(settings.WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID).toBe(IDENTITY);
    expect(settingWrites()).toBe(1);
    await undoAction(azureDeploy, step, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
    const after = arm.slot("shop", "staging").appSettings;
    expect(after.WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID).toBeUndefined();
  });

  it("refuses a SAS URL together with packageIdentity, and a file path in run-from-package mode", () => {
    const both = azureDeploy.with.safeParse({ package: `${BLOB}?sig=abc`, packageIdentity: "SystemAssigned" });
    expect(JSON.stringify(both.error?.issues)).toMatch(/carries no SAS/);
    const file = azureDeploy.with.safeParse({ package: "dist/app.zip" });
    expect(JSON.stringify(file.error?.issues)).toMatch(/needs a URL/);
  });
});

describe("azure.deploy package SAS expiry", () => {
  it("refuses a SAS that has expired, before changing anything, naming the flag", async () => {
    const { ctx } = makeContext({ providers: providers(), secrets: ["SECRETSIG"] });
    const e = await failureOf(runAction(azureDeploy, { package: sasUrl(new Date(Date.now() - 3_600_000)) }, ctx));
    expect(e.message).toMatch(/already expired/);
    expect(e.hint).toMatch(/allowExpiringSas: true/);
    expect(e.message + (e.hint ?? "")).not.toContain("SECRETSIG");
    expect(settingWrites()).toBe(0);
  });

  it("refuses a SAS expiring within sasMustOutlive; allowExpiringSas deploys it with a warning", async () => {
    const soon = sasUrl(new Date(Date.now() + 2 * 3_600_000));
    const refused = makeContext({ providers: providers() });
    await expect(runAction(azureDeploy, { package: soon }, refused.ctx)).rejects.toThrow(/less than sasMustOutlive/);
    expect(settingWrites()).toBe(0);
    const allowed = makeContext({ providers: providers() });
    await runAction(azureDeploy, { package: soon, allowExpiringSas: true }, allowed.ctx);
    expect(settingWrites()).toBe(1);
    expect(allowed.seen.warn.join("\n")).toMatch(/allowExpiringSas: true/);
  });

  it("a SAS valid long enough deploys, warning when it expires", async () => {
    const { ctx, seen } = makeContext({ providers: providers() });
    await runAction(azureDeploy, { package: sasUrl(new Date(Date.now() + 30 * 86_400_000)) }, ctx);
    expect(settingWrites()).toBe(1);
    expect(seen.warn.join("\n")).toMatch(/package SAS expires at .*packageIdentity/);
  });

  it("reads `se` as Azure writes it (percent-encoded colons) and tells a plain URL from a SAS", () => {
    expect(sasExpiry(`${BLOB}?se=2030-01-02T03%3A04%3A05Z&sig=x`)?.toISOString()).toBe("2030-01-02T03:04:05.000Z");
    expect(sasExpiry(`${BLOB}?sig=x`)).toBeNull();
    expect(sasExpiry(BLOB)).toBeUndefined();
  });
});
