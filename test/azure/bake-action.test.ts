import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { azureBake } from "../../src/actions/azure-bake.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { armSlots } from "./arm-helpers.js";
import { makeContext, runAction } from "../support/context.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";

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
  fake.addApp("shop", { settings: { production: { APP_VERSION: "v2" } } });
});

const ctx = (extra: Parameters<typeof makeContext>[0] = {}) =>
  makeContext({ providers: { app: { capabilities: ["appservice"], client: slots } }, ...extra });

describe("azure.bake", () => {
  it("passes when production answers well for the whole window, checkpointing the window's end", async () => {
    const c = ctx();
    const res = await runAction(azureBake, { duration: 80, interval: 10 }, c.ctx);
    expect(res.outputs?.failures).toBe(0);
    expect(res.outputs?.requests as number).toBeGreaterThan(1);
    expect(fake.slot("shop", "production").warmup.requests).toBe(res.outputs?.requests);
    expect(fake.slot("shop", "staging").warmup.requests).toBe(0);
    expect(c.seen.checkpoints).toHaveLength(1);
  });

  it("fails at once after too many bad answers in a row", async () => {
    fake.slot("shop", "production").warmup.failFirst = 1000;
    const e = await runAction(azureBake, { duration: "1m", interval: 1, maxConsecutiveFailures: 3 }, ctx().ctx).catch(
      (x: unknown) => x,
    );
    expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(/badly 3 times in a row .*HTTP 503/);
    expect(fake.slot("shop", "production").warmup.requests).toBe(3);
  });

  it("fails at the end when too large a share of answers was bad", async () => {
    fake.slot("shop", "production").warmup.failFirst = 1; // 1 bad of a few: over a 10 % budget
    const e = await runAction(azureBake, { duration: 60, interval: 10, maxFailureRate: 0.1 }, ctx().ctx).catch(
      (x: unknown) => x,
    );
    expect(isCutoverError(e, ErrorCode.StepFailed) && e.message).toMatch(/1 of \d+ answers were bad/);
    const ok = await runAction(azureBake, { duration: 30, interval: 10, maxFailureRate: 0.9 }, ctx().ctx);
    expect(ok.outputs?.failures).toBe(0);
  });

  it("a resumed bake watches only the rest of its window", async () => {
    const c = ctx({ priorCheckpoint: { until: new Date(Date.now() - 1).toISOString() } });
    const res = await runAction(azureBake, { duration: "1h", interval: 10 }, c.ctx);
    expect(res.outputs?.requests).toBe(1);
    expect(c.seen.checkpoints).toHaveLength(0);
  });
});
