/**
 * Issue 12, defect 9: App Service never swaps some app settings that are not slot settings
 * (`*_EXTENSION_VERSION`, the diagnostic log settings' app settings, Service Connector's). Before the fix
 * `azure.slot-diff` reported them as moving into production and failed the step.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { azureSlotDiff } from "../../src/actions/azure-slot-diff.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { armSlots } from "./arm-helpers.js";
import { makeContext, runAction } from "../support/context.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";

let fake: ArmFake;
let slots: AppServiceSlots;
beforeAll(async () => {
  fake = await startArmFake();
  slots = await armSlots(fake);
});
afterAll(async () => {
  await fake?.close();
});

const perSlot = (v: string) => ({
  APP_VERSION: v,
  DEPLOY_SLOT: v,
  ApplicationInsightsAgent_EXTENSION_VERSION: v === "v2" ? "~3" : "~2",
  DIAGNOSTICS_AZUREBLOBRETENTIONINDAYS: v === "v2" ? "7" : "30",
  WEBSITE_HTTPLOGGING_RETENTION_DAYS: v === "v2" ? "3" : "14",
  AZURE_POSTGRESQL_CONNECTIONSTRING: `host=db-${v}`,
});

beforeEach(() => {
  fake.apps.clear();
  fake.addApp("shop", { sticky: ["DEPLOY_SLOT"], settings: { production: perSlot("v1"), staging: perSlot("v2") } });
});

const ctx = () => makeContext({ providers: { app: { capabilities: ["appservice"], client: slots } } }).ctx;
const SERVICE_CONNECTOR = ["AZURE_POSTGRESQL_*"];

describe("azure.slot-diff: settings App Service does not swap", () => {
  it("reports them as not swapped instead of moving, and passes", async () => {
    const res = await runAction(
      azureSlotDiff,
      { accept: ["APP_VERSION"], notSwapped: SERVICE_CONNECTOR, requireMoving: [] },
      ctx(),
    );
    expect(res.outputs?.surprises).toEqual([]);
    expect(res.outputs?.moving).toEqual(["APP_VERSION (changed)"]);
    expect(res.outputs?.notSwapped).toEqual([
      "AZURE_POSTGRESQL_CONNECTIONSTRING (changed; not swapped by App Service: listed in notSwapped)",
      "ApplicationInsightsAgent_EXTENSION_VERSION (changed; not swapped by App Service: ends in _EXTENSION_VERSION)",
      "DIAGNOSTICS_AZUREBLOBRETENTIONINDAYS (changed; not swapped by App Service: diagnostic log setting)",
      "WEBSITE_HTTPLOGGING_RETENTION_DAYS (changed; not swapped by App Service: diagnostic log setting)",
    ]);
  });

  it("its prediction is what the swap does: the not-swapped settings stay, the moving ones move", async () => {
    const before = { ...fake.slot("shop", "production").appSettings };
    await runAction(
      azureSlotDiff,
      { accept: ["APP_VERSION"], notSwapped: SERVICE_CONNECTOR, requireMoving: [] },
      ctx(),
    );
    await slots.beginSwap("shop", "staging", "production");
    const after = fake.slot("shop", "production").appSettings;
    expect(after.APP_VERSION).toBe("v2");
    for (const stays of ["ApplicationInsightsAgent_EXTENSION_VERSION", "DIAGNOSTICS_AZUREBLOBRETENTIONINDAYS"])
      expect(after[stays]).toBe(before[stays]);
  });

  it("with WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS=0 on every slot, diagnostic settings move again", async () => {
    for (const s of ["production", "staging"])
      fake.slot("shop", s).appSettings.WEBSITE_OVERRIDE_PRESERVE_DEFAULT_STICKY_SLOT_SETTINGS = "0";
    const res = await runAction(
      azureSlotDiff,
      { accept: ["APP_VERSION"], notSwapped: SERVICE_CONNECTOR, requireMoving: [], failOnSurprise: false },
      ctx(),
    );
    expect(res.outputs?.surprises).toEqual([
      "DIAGNOSTICS_AZUREBLOBRETENTIONINDAYS (changed, moves into production)",
      "WEBSITE_HTTPLOGGING_RETENTION_DAYS (changed, moves into production)",
    ]);
    await slots.beginSwap("shop", "staging", "production");
    expect(fake.slot("shop", "production").appSettings.DIAGNOSTICS_AZUREBLOBRETENTIONINDAYS).toBe("7");
  });

  it("a Service Connector setting not listed in notSwapped is still a surprise (nothing in ARM marks it)", async () => {
    const res = await runAction(
      azureSlotDiff,
      { accept: ["APP_VERSION"], requireMoving: [], failOnSurprise: false },
      ctx(),
    );
    expect(res.outputs?.surprises).toEqual(["AZURE_POSTGRESQL_CONNECTIONSTRING (changed, moves into production)"]);
  });
});
