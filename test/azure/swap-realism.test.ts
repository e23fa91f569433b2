/**
 * Swaps as App Service really answers them (test/azure/fakes/CONFORMANCE.md):
 * 409s that are not our swap, swap with preview refused under site
 * authentication, `slotSwapStatus` stamped on the target slot only, and a
 * failed swap that leaves the slots prepared for swap.
 */
import { describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureSwap } from "../../src/actions/azure-swap.js";
import { azureSwapPreview } from "../../src/actions/azure-swap-preview.js";
import { azureDeploy } from "../../src/actions/azure-deploy.js";
import { makeContext, makeUndoContext, runAction, undoAction } from "../support/context.js";
import { armSwapWorld } from "../support/arm-swap-world.js";

const world = armSwapWorld({ stagingVersion: "v1" });
const { providers, version } = world;
const swaps = () => world.fake.apps.get("shop")?.swaps;

/** Run with a bound: the old behaviour waited for the step's 30 min timeout. */
function bounded() {
  return makeContext({ providers: providers(), signal: AbortSignal.timeout(10_000) });
}

describe("409s on a swap are classified, not all read as our swap running", () => {
  it("another operation in progress fails the swap at once, naming the operation", async () => {
    world.fake.busyWith("shop", "UpdateSiteConfig", 600_000);
    const { ctx, seen } = bounded();
    const err = await runAction(azureSwap, {}, ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/another operation is in progress.*UpdateSiteConfig/);
    expect((err as { retryable?: boolean }).retryable).toBe(true);
    expect(seen.warn.join("\n")).not.toMatch(/waiting for it to land/);
    expect(swaps()).toBe(0);
  });

  it("swap with preview on a site with authentication fails with that reason, not retryable", async () => {
    world.fake.apps.get("shop")!.authEnabled = true;
    const err = await runAction(azureSwapPreview, {}, bounded().ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/site authentication/);
    expect((err as Error).message).not.toMatch(/someone else/);
    expect((err as { retryable?: boolean }).retryable).toBe(false);
    expect(world.fake.slot("shop", "staging").targetSwapSlot).toBeUndefined();
  });
});

describe("never swaps twice when only the target slot records the swap", () => {
  it("a resumed attempt sees production's slotSwapStatus and does not POST again", async () => {
    world.fake.apps.get("shop")!.swapStatusOn = "target";
    world.fake.slot("shop", "staging").appSettings.APP_VERSION = "v2";
    const first = makeContext({ providers: providers() });
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
      if ((data as { poller?: string }).poller) throw new Error("died before the poller was durable");
    };
    await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow(/died/);
    world.fake.options.swapCompletesAfterMs = 0;
    await world.slots.getSlot("shop", "production"); // Azure finishes the swap without us
    expect(swaps()).toBe(1);
    expect(world.fake.slot("shop", "staging").slotSwapStatus).toBeUndefined();
    const second = makeContext({
      providers: providers(),
      priorCheckpoint: first.seen.checkpoints[0] as Json,
      attempt: 2,
    });
    const res = await runAction(azureSwap, {}, second.ctx);
    expect(swaps()).toBe(1);
    expect(version("production")).toBe("v2");
    expect(res.outputs?.swappedAt).toBe(world.fake.slot("shop", "production").slotSwapStatus?.timestampUtc);
    // Undo compares with the same (newest) status and swaps back once.
    await undoAction(azureSwap, {}, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
    expect(swaps()).toBe(2);
    expect(version("production")).toBe("v1");
  });
});

describe("abort after a failed swap", () => {
  it("resets the slots prepared for swap, so the deploy's undo can write the settings back", async () => {
    world.fake.apps.get("shop")!.failSwaps = 1;
    const deployed = await runAction(
      azureDeploy,
      { settings: { APP_VERSION: "v2" } },
      makeContext({ providers: providers() }).ctx,
    );
    const swap = makeContext({ providers: providers() });
    await expect(runAction(azureSwap, {}, swap.ctx)).rejects.toThrow(/swap/i);
    expect(swaps()).toBe(0);
    expect(world.fake.slot("shop", "staging").targetSwapSlot).toBe("production");

    // Abort: newest first. The swap never succeeded, so its undo has only the checkpoint.
    const undoSwap = makeUndoContext(null, { providers: providers() });
    await undoAction(azureSwap, {}, { ...undoSwap.ctx, lastCheckpoint: swap.seen.checkpoints.at(-1) as Json });
    expect(world.fake.slot("shop", "staging").targetSwapSlot).toBeUndefined();
    expect(world.fake.slot("shop", "production").targetSwapSlot).toBeUndefined();
    expect(undoSwap.seen.info.join("\n")).toMatch(/prepared for swap/);
    await undoAction(
      azureDeploy,
      { settings: { APP_VERSION: "v2" } },
      makeUndoContext(deployed.recorded as Json, { providers: providers() }).ctx,
    );
    expect(version("staging")).toBe("v1");
    expect(world.fake.slot("shop", "staging").appSettings.SLOT_NAME).toBe("staging");
    expect(swaps()).toBe(0);
  });

  it("a settings write to a slot prepared for swap says so and how to reset it", async () => {
    world.fake.apps.get("shop")!.failSwaps = 1;
    await expect(runAction(azureSwap, {}, makeContext({ providers: providers() }).ctx)).rejects.toThrow();
    const err = await runAction(
      azureDeploy,
      { settings: { APP_VERSION: "v3" } },
      makeContext({ providers: providers() }).ctx,
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/prepared for swap/);
    expect((err as { hint?: string }).hint).toMatch(/reset/);
    expect((err as { retryable?: boolean }).retryable).toBe(false);
  });
});
