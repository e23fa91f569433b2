import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureDeploy } from "../../src/actions/azure-deploy.js";
import { azureWarmup } from "../../src/actions/azure-warmup.js";
import { azureSlotDiff } from "../../src/actions/azure-slot-diff.js";
import { azureStartSlot } from "../../src/actions/azure-start-slot.js";
import { azureStopSlot } from "../../src/actions/azure-stop-slot.js";
import { azureRestartSlot } from "../../src/actions/azure-restart-slot.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { armSlots } from "./arm-helpers.js";
import { makeContext, makeUndoContext, runAction, undoAction } from "../support/context.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../src/core/errors.js";

let fake: ArmFake;
let slots: AppServiceSlots;
beforeAll(async () => {
  fake = await startArmFake();
  slots = await armSlots(fake);
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.apps.clear();
  fake.faults.clear();
  fake.requests.length = 0;
  fake.addApp("shop", {
    sticky: ["DEPLOY_SLOT"],
    settings: {
      production: { APP_VERSION: "v1", DEPLOY_SLOT: "production", FEATURE_X: "on" },
      staging: { APP_VERSION: "v1", DEPLOY_SLOT: "staging", FEATURE_X: "on", KEEP: "me" },
    },
  });
});

const providers = () => ({ app: { capabilities: ["appservice"], client: slots } });
const ctx = (extra: Parameters<typeof makeContext>[0] = {}) => makeContext({ providers: providers(), ...extra });
const puts = () => fake.requests.filter((r) => r.startsWith("PUT") && r.endsWith("/config/appsettings")).length;

describe("azure.deploy", () => {
  it(
    "sets the package and settings read-modify-write, " + "keeping the rest; a rerun changes nothing; undo restores",
    async () => {
      const pkg = "https://store.blob.core.windows.net/builds/shop-v2.zip";
      const input = { package: pkg, settings: { APP_VERSION: "v2", WORKERS: 4 } };
      const res = await runAction(azureDeploy, input, ctx().ctx);
      const staging = fake.slot("shop", "staging").appSettings;
      expect(staging).toEqual({
        APP_VERSION: "v2",
        DEPLOY_SLOT: "staging",
        FEATURE_X: "on",
        KEEP: "me",
        WEBSITE_RUN_FROM_PACKAGE: pkg,
        WORKERS: "4",
      });
      expect(res.outputs).toMatchObject({
        changed: true,
        changedSettings: ["APP_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WORKERS"],
      });
      expect(puts()).toBe(1);
      const again = await runAction(
        azureDeploy,
        { package: pkg, settings: { APP_VERSION: "v2", WORKERS: 4 } },
        ctx().ctx,
      );
      expect(again.outputs?.changed).toBe(false);
      expect(puts()).toBe(1);
      await undoAction(azureDeploy, input, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
      expect(fake.slot("shop", "staging").appSettings).toEqual({
        APP_VERSION: "v1",
        DEPLOY_SLOT: "staging",
        FEATURE_X: "on",
        KEEP: "me",
      });
    },
  );

  it(
    "after a crash between its write and its success, the resumed step records the true originals, and abort " +
      "restores them either way",
    async () => {
      const input = { settings: { APP_VERSION: "v2" }, image: "acr.io/shop:2" };
      const first = ctx();
      await runAction(azureDeploy, input, first.ctx);
      // The success never reached the journal: only the checkpoint written before the first PUT did.
      expect(first.seen.checkpoints).toEqual([
        { app: "shop", slot: "staging", settings: { APP_VERSION: "v1" }, image: "" },
      ]);
      const checkpoint = first.seen.checkpoints[0] as Json;

      // Resumed: the slot already holds v2, yet the record names v1 as what to restore.
      const resumed = await runAction(azureDeploy, input, ctx({ priorCheckpoint: checkpoint, attempt: 2 }).ctx);
      expect(resumed.recorded).toEqual({ app: "shop", slot: "staging", settings: { APP_VERSION: "v1" }, image: "" });
      expect(resumed.outputs).toMatchObject({ changed: true, changedSettings: ["APP_VERSION"] });
      expect(puts()).toBe(1);

      // Or aborted without resuming: undo from the checkpoint.
      const u = makeUndoContext(null, { providers: providers() });
      await undoAction(azureDeploy, input, { ...u.ctx, lastCheckpoint: checkpoint });
      expect(fake.slot("shop", "staging").appSettings.APP_VERSION).toBe("v1");
      // No checkpoint: it wrote nothing, so there is nothing to undo.
      await undoAction(azureDeploy, input, makeUndoContext(null, { providers: providers() }).ctx);
      expect(puts()).toBe(2);
    },
  );

  it("never journals a SAS URL or secret-looking setting; undo leaves those to a person", async () => {
    fake.slot("shop", "staging").appSettings.WEBSITE_RUN_FROM_PACKAGE =
      "https://s.blob.core.windows.net/b/old.zip?sv=1&sig=OLDSECRET";
    const input = {
      package: "https://s.blob.core.windows.net/b/new.zip?sv=1&sig=NEWSECRET",
      settings: { API_KEY: "k-123" },
    };
    const res = await runAction(azureDeploy, input, ctx().ctx);
    const journaled = JSON.stringify(res);
    expect(journaled).not.toMatch(/OLDSECRET|NEWSECRET/);
    const u = makeUndoContext(res.recorded as Json, { providers: providers() });
    await undoAction(azureDeploy, input, u.ctx);
    expect(fake.slot("shop", "staging").appSettings.API_KEY).toBeUndefined(); // did not exist before: removed
    expect(u.seen.warn.join()).toMatch(/WEBSITE_RUN_FROM_PACKAGE/);
  });

  it("deploys a container image through linuxFxVersion and removes settings", async () => {
    const input = { image: "myacr.azurecr.io/shop:42", removeSettings: ["KEEP", "ABSENT"] };
    const res = await runAction(azureDeploy, input, ctx().ctx);
    expect(fake.slot("shop", "staging").linuxFxVersion).toBe("DOCKER|myacr.azurecr.io/shop:42");
    expect(fake.slot("shop", "staging").appSettings.KEEP).toBeUndefined();
    await undoAction(azureDeploy, input, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
    expect(fake.slot("shop", "staging").linuxFxVersion).toBe("");
    expect(fake.slot("shop", "staging").appSettings.KEEP).toBe("me");
  });
});

describe("azure.warmup", () => {
  it("waits out a cold start on the slot's own hostname", async () => {
    fake.slot("shop", "staging").warmup.failFirst = 2;
    const res = await runAction(
      azureWarmup,
      { path: "/health", interval: 1, bodyContains: '"slot":"staging"' },
      ctx().ctx,
    );
    expect(res.outputs).toMatchObject({ status: 200, attempts: 3 });
    expect(fake.slot("shop", "production").warmup.requests).toBe(0);
  });

  it("fails when the slot stays cold past the timeout, and at once when it is stopped", async () => {
    fake.slot("shop", "staging").warmup.failFirst = 1000;
    const e = await runAction(azureWarmup, { interval: 1, timeout: 60 }, ctx().ctx).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(/did not warm up .*HTTP 503/);
    fake.slot("shop", "staging").state = "Stopped";
    const stopped = await runAction(azureWarmup, {}, ctx().ctx).catch((x: unknown) => x);
    expect(isCutoverError(stopped) && stopped.message).toMatch(/stopped/);
  });

  it("accepts other expected statuses", async () => {
    fake.slot("shop", "staging").warmup.failFirst = 1000;
    fake.slot("shop", "staging").warmup.failStatus = 404;
    const res = await runAction(azureWarmup, { expectStatus: [200, 404] }, ctx().ctx);
    expect(res.outputs?.status).toBe(404);
  });
});

describe("azure.slot-diff", () => {
  it("passes when only accepted settings move, reporting names but never values", async () => {
    fake.slot("shop", "staging").appSettings.APP_VERSION = "v2-secret-ish";
    const res = await runAction(
      azureSlotDiff,
      { accept: ["APP_VERSION", "KEEP"], requireSticky: ["DEPLOY_SLOT"] },
      ctx().ctx,
    );
    expect(res.outputs).toMatchObject({ accepted: ["APP_VERSION", "KEEP"], surprises: [], sticky: ["DEPLOY_SLOT"] });
    expect(JSON.stringify(res.outputs)).not.toContain("v2-secret-ish");
  });

  it("blocks on a moving difference nobody accepted and on a setting that should be sticky", async () => {
    fake.slot("shop", "production").appSettings.ASPNETCORE_ENVIRONMENT = "Production";
    fake.slot("shop", "staging").appSettings.ASPNETCORE_ENVIRONMENT = "Staging";
    const e = await runAction(
      azureSlotDiff,
      { accept: ["KEEP"], requireSticky: ["ASPNETCORE_ENVIRONMENT"] },
      ctx().ctx,
    ).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.StepFailed)).toBe(true);
    const surprises = (e as { details?: { surprises?: string[] } }).details?.surprises ?? [];
    expect(surprises.join("\n")).toMatch(/ASPNETCORE_ENVIRONMENT \(changed, moves into production\)/);
    expect(surprises.join("\n")).toMatch(/must be a slot setting/);
    // The build must move with the swap; the container image is compared too.
    fake.apps.get("shop")!.sticky.appSettingNames.push("WEBSITE_RUN_FROM_PACKAGE");
    fake.slot("shop", "staging").linuxFxVersion = "DOCKER|shop:2";
    const e2 = await runAction(azureSlotDiff, { accept: ["*"] }, ctx().ctx).catch((x: unknown) => x);
    expect(((e2 as { details?: { surprises?: string[] } }).details?.surprises ?? []).join()).toMatch(
      /WEBSITE_RUN_FROM_PACKAGE \(is a slot setting/,
    );
    const imaged = await runAction(azureSlotDiff, { accept: ["*"], requireMoving: [] }, ctx().ctx);
    expect(imaged.outputs?.moving).toContain("linuxFxVersion (changed)");
    // Report-only mode.
    const res = await runAction(azureSlotDiff, { failOnSurprise: false }, ctx().ctx);
    expect((res.outputs?.surprises as string[]).length).toBeGreaterThan(0);
  });
});

describe("azure.start-slot / stop-slot / restart-slot", () => {
  it("a run that lost its lease changes no slot: ARM cannot check the token, so the lease is asked first", async () => {
    const asked: number[] = [];
    const lost = {
      environment: "shop",
      token: 3,
      assertHeld: async () => {
        asked.push(3);
        throw new CutoverError(ErrorCode.LeaseLost, "the lease of environment shop was taken over (token 4)");
      },
    };
    const c = ctx().ctx;
    const e = await runAction(azureStopSlot, {}, { ...c, fence: lost }).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.LeaseLost)).toBe(true);
    expect(asked).toEqual([3]);
    expect(fake.slot("shop", "staging").state).toBe("Running");
    const held = { environment: "shop", token: 3, assertHeld: async () => undefined };
    await runAction(azureStopSlot, {}, { ...c, fence: held });
    expect(fake.slot("shop", "staging").state).toBe("Stopped");
  });

  it("stop observes, records and undoes; a second stop does nothing", async () => {
    const res = await runAction(azureStopSlot, {}, ctx().ctx);
    expect(fake.slot("shop", "staging").state).toBe("Stopped");
    const again = await runAction(azureStopSlot, {}, ctx().ctx);
    expect(again.outputs?.changed).toBe(false);
    await undoAction(azureStopSlot, {}, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
    expect(fake.slot("shop", "staging").state).toBe("Running");
  });

  it(
    "stop after a crash: the resumed step records the state it found, and abort of the interrupted step starts the " +
      "slot again",
    async () => {
      const first = ctx();
      await runAction(azureStopSlot, {}, first.ctx);
      expect(first.seen.checkpoints).toEqual([{ app: "shop", slot: "staging", previousState: "Running" }]);
      const checkpoint = first.seen.checkpoints[0] as Json;
      const resumed = await runAction(azureStopSlot, {}, ctx({ priorCheckpoint: checkpoint, attempt: 2 }).ctx);
      expect(resumed.recorded).toEqual({ app: "shop", slot: "staging", previousState: "Running" });
      expect(resumed.outputs?.changed).toBe(true);
      const u = makeUndoContext(null, { providers: providers() });
      await undoAction(azureStopSlot, {}, { ...u.ctx, lastCheckpoint: checkpoint });
      expect(fake.slot("shop", "staging").state).toBe("Running");
    },
  );

  it("start of production by name, and restart", async () => {
    fake.slot("shop", "production").state = "Stopped";
    const res = await runAction(azureStartSlot, { slot: "production" }, ctx().ctx);
    expect(fake.slot("shop", "production").state).toBe("Running");
    await undoAction(
      azureStartSlot,
      { slot: "production" },
      makeUndoContext(res.recorded as Json, { providers: providers() }).ctx,
    );
    expect(fake.slot("shop", "production").state).toBe("Stopped");
    const before = fake.slot("shop", "staging").restarts;
    await runAction(azureRestartSlot, {}, ctx().ctx);
    expect(fake.slot("shop", "staging").restarts).toBe(before + 1);
  });
});
