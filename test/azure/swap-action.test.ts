import { describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureSwap } from "../../src/actions/azure-swap.js";
import { azureSwapPreview } from "../../src/actions/azure-swap-preview.js";
import { makeContext, makeUndoContext, runAction, undoAction } from "../support/context.js";
import { armSwapWorld } from "../support/arm-swap-world.js";
import { CutoverError, ErrorCode, isCutoverError } from "../../src/core/errors.js";

const world = armSwapWorld({ stagingVersion: "v2" });
const { providers, version } = world;
const swapPosts = () => world.fake.requests.filter((r) => r.endsWith("/slotsswap")).length;

describe("azure.swap", () => {
  it("a run that lost its lease submits no swap", async () => {
    const lost = {
      environment: "shop",
      token: 3,
      assertHeld: async () => {
        throw new CutoverError(ErrorCode.LeaseLost, "the lease of environment shop was taken over (token 4)");
      },
    };
    const { ctx } = makeContext({ providers: providers() });
    const e = await runAction(azureSwap, {}, { ...ctx, fence: lost }).catch((x: unknown) => x);
    expect(isCutoverError(e, ErrorCode.LeaseLost)).toBe(true);
    expect(swapPosts()).toBe(0);
    expect(version("production")).toBe("v1");
  });

  it("swaps staging into production, checkpointing the baseline then the poller; undo swaps back", async () => {
    const { ctx, seen } = makeContext({ providers: providers() });
    const res = await runAction(azureSwap, {}, ctx);
    expect(version("production")).toBe("v2");
    expect(world.fake.slot("shop", "production").appSettings.SLOT_NAME).toBe("prod");
    expect(res.outputs).toMatchObject({ app: "shop", slot: "staging", targetSlot: "production", swapped: true });
    expect(seen.checkpoints).toHaveLength(2);
    expect(seen.checkpoints[0]).toMatchObject({ app: "shop", source: "staging", target: "production", baseline: null });
    expect(typeof (seen.checkpoints[1] as { poller?: unknown }).poller).toBe("string");

    const undo = makeUndoContext(res.recorded as Json, { providers: providers() });
    await undoAction(azureSwap, {}, undo.ctx);
    expect(version("production")).toBe("v1");
    expect(world.fake.apps.get("shop")?.swaps).toBe(2);
    // Undo again (a resumed abort): the last swap is no longer ours, so no third swap.
    await undoAction(azureSwap, {}, makeUndoContext(res.recorded as Json, { providers: providers() }).ctx);
    expect(world.fake.apps.get("shop")?.swaps).toBe(2);
  });

  it("a run killed while polling resumes the same operation from the checkpointed poller: one swap", async () => {
    world.fake.options.pollsPerSwap = 6;
    const ac = new AbortController();
    const first = makeContext({ providers: providers(), signal: ac.signal });
    // "Crash" right after the poller is durable: the attempt's signal aborts mid-poll.
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
      if ((data as { poller?: string }).poller) setTimeout(() => ac.abort(new Error("killed")), 2);
    };
    await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow();
    expect(world.fake.apps.get("shop")?.swaps).toBe(0);
    const prior = first.seen.checkpoints.at(-1) as Json;
    const second = makeContext({ providers: providers(), priorCheckpoint: prior, attempt: 2 });
    const res = await runAction(azureSwap, {}, second.ctx);
    expect(res.outputs?.swapped).toBe(true);
    expect(world.fake.apps.get("shop")?.swaps).toBe(1);
    expect(swapPosts()).toBe(1);
    expect(version("production")).toBe("v2");
  });

  it(
    "a crash after the POST but before the poller checkpoint " + "waits for the running swap (409), not a second one",
    async () => {
      world.fake.options.pollsPerSwap = 1000;
      world.fake.options.swapCompletesAfterMs = 150;
      const first = makeContext({ providers: providers() });
      first.ctx.checkpoint = async (data) => {
        if ((data as { poller?: string }).poller) throw new Error("process died before the checkpoint was durable");
        first.seen.checkpoints.push(structuredClone(data));
      };
      await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow(/process died/);
      const second = makeContext({
        providers: providers(),
        priorCheckpoint: first.seen.checkpoints[0] as Json,
        attempt: 2,
      });
      await runAction(azureSwap, {}, second.ctx);
      expect(world.fake.apps.get("shop")?.swaps).toBe(1);
      expect(version("production")).toBe("v2");
      expect(second.seen.warn.join("\n")).toMatch(/already in progress/);
    },
  );

  it("a resumed attempt that finds the swap already landed does not swap again", async () => {
    const first = makeContext({ providers: providers() });
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
      if ((data as { poller?: string }).poller) throw new Error("died");
    };
    await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow();
    // Azure finishes the swap without us.
    await world.slots.getSlot("shop", "staging");
    world.fake.options.swapCompletesAfterMs = 0;
    await world.slots.getSlot("shop", "staging");
    expect(world.fake.apps.get("shop")?.swaps).toBe(1);
    const second = makeContext({
      providers: providers(),
      priorCheckpoint: first.seen.checkpoints[0] as Json,
      attempt: 2,
    });
    const res = await runAction(azureSwap, {}, second.ctx);
    expect(res.outputs?.swapped).toBe(true);
    expect(world.fake.apps.get("shop")?.swaps).toBe(1);
    expect(second.seen.info.join("\n")).toMatch(/already swapped/);
  });

  it(
    "abort of an interrupted swap that landed without us " + "swaps back once, even when the abort itself is resumed",
    async () => {
      const first = makeContext({ providers: providers() });
      first.ctx.checkpoint = async (data) => {
        first.seen.checkpoints.push(structuredClone(data));
        if ((data as { poller?: string }).poller) throw new Error("died");
      };
      await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow();
      world.fake.options.swapCompletesAfterMs = 0;
      await world.slots.getSlot("shop", "staging");
      expect(version("production")).toBe("v2");
      // The step never succeeded: abort has only its checkpoint (the baseline).
      const interrupted = (prior?: Json) => {
        const u = makeUndoContext(null, { providers: providers() });
        return {
          ...u,
          ctx: {
            ...u.ctx,
            lastCheckpoint: first.seen.checkpoints[0] as Json,
            ...(prior === undefined ? {} : { priorUndoCheckpoint: prior }),
          },
        };
      };
      const undo = interrupted();
      await undoAction(azureSwap, {}, undo.ctx);
      expect(version("production")).toBe("v1");
      expect(world.fake.apps.get("shop")?.swaps).toBe(2);
      // Resumed with what the first undo checkpointed (the time our swap
      // landed): the slot's last swap is now the swap back, so no third.
      expect(undo.seen.checkpoints).toHaveLength(1);
      await undoAction(azureSwap, {}, interrupted(undo.seen.checkpoints[0] as Json).ctx);
      expect(world.fake.apps.get("shop")?.swaps).toBe(2);
      expect(version("production")).toBe("v1");
    },
  );

  it(
    "abort of an interrupted swap that never landed changes " +
      "nothing; one still running is let land, then swapped back",
    async () => {
      const baseline = { app: "shop", source: "staging", target: "production", baseline: null };
      const undo = makeUndoContext(null, { providers: providers() });
      await undoAction(azureSwap, {}, { ...undo.ctx, lastCheckpoint: baseline });
      expect(world.fake.apps.get("shop")?.swaps).toBe(0);
      expect(undo.seen.info.join("\n")).toMatch(/never landed/);

      world.fake.options.pollsPerSwap = 1000;
      world.fake.options.swapCompletesAfterMs = 150;
      const first = makeContext({ providers: providers() });
      first.ctx.checkpoint = async (data) => {
        first.seen.checkpoints.push(structuredClone(data));
        if ((data as { poller?: string }).poller) throw new Error("died");
      };
      await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow();
      const running = makeUndoContext(null, { providers: providers() });
      await undoAction(azureSwap, {}, { ...running.ctx, lastCheckpoint: first.seen.checkpoints[0] as Json });
      expect(world.fake.apps.get("shop")?.swaps).toBe(2);
      expect(version("production")).toBe("v1");
    },
  );

  it(
    "swap with preview: apply (idempotent), complete with " +
      "azure.swap; undo of the preview then has nothing to reset",
    async () => {
      const prod = world.fake.slot("shop", "production");
      prod.appSettings.DB = "prod-db";
      world.fake.slot("shop", "staging").appSettings.DB = "staging-db";
      world.fake.apps.get("shop")!.sticky.appSettingNames.push("DB");
      const a = makeContext({ providers: providers() });
      const applied = await runAction(azureSwapPreview, {}, a.ctx);
      expect(applied.outputs?.applied).toBe(true);
      expect(world.fake.slot("shop", "staging").appSettings.DB).toBe("prod-db");
      const again = await runAction(azureSwapPreview, {}, makeContext({ providers: providers() }).ctx);
      expect(again.outputs?.applied).toBe(false);
      await runAction(azureSwap, {}, makeContext({ providers: providers() }).ctx);
      expect(world.fake.apps.get("shop")?.swaps).toBe(1);
      expect(prod.appSettings).toMatchObject({ APP_VERSION: "v2", DB: "prod-db" });
      expect(world.fake.slot("shop", "staging").appSettings).toMatchObject({ APP_VERSION: "v1", DB: "staging-db" });
      const u = makeUndoContext(applied.recorded as Json, { providers: providers() });
      await undoAction(azureSwapPreview, {}, u.ctx);
      expect(u.seen.info.join()).toMatch(/nothing to reset/);
    },
  );

  it("undo of a pending preview resets the slot to its own settings", async () => {
    world.fake.slot("shop", "production").appSettings.DB = "prod-db";
    world.fake.slot("shop", "staging").appSettings.DB = "staging-db";
    world.fake.apps.get("shop")!.sticky.appSettingNames.push("DB");
    const a = makeContext({ providers: providers() });
    const applied = await runAction(azureSwapPreview, {}, a.ctx);
    await undoAction(azureSwapPreview, {}, makeUndoContext(applied.recorded as Json, { providers: providers() }).ctx);
    expect(world.fake.slot("shop", "staging").appSettings.DB).toBe("staging-db");
    expect(world.fake.slot("shop", "staging").targetSwapSlot).toBeUndefined();
    expect(world.fake.apps.get("shop")?.swaps).toBe(0);

    // Interrupted after applying (no record in the journal): abort resets from the slot's own state.
    await runAction(azureSwapPreview, {}, makeContext({ providers: providers() }).ctx);
    expect(world.fake.slot("shop", "staging").appSettings.DB).toBe("prod-db");
    await undoAction(azureSwapPreview, {}, makeUndoContext(null, { providers: providers() }).ctx);
    expect(world.fake.slot("shop", "staging").appSettings.DB).toBe("staging-db");
    expect(world.fake.slot("shop", "staging").targetSwapSlot).toBeUndefined();
  });

  it("an undo interrupted mid swap-back, run again, waits for it instead of swapping a third time", async () => {
    const res = await runAction(azureSwap, {}, makeContext({ providers: providers() }).ctx);
    world.fake.options.pollsPerSwap = 100_000;
    const ac = new AbortController();
    const first = makeUndoContext(res.recorded as Json, { providers: providers(), signal: ac.signal });
    const interrupted = undoAction(azureSwap, {}, first.ctx);
    while (!world.fake.apps.get("shop")?.operation) await new Promise((r) => setTimeout(r, 2));
    ac.abort(new Error("killed"));
    await expect(interrupted).rejects.toThrow();
    expect(world.fake.apps.get("shop")?.swaps).toBe(1);
    world.fake.options.swapCompletesAfterMs = 100; // Azure finishes the swap-back meanwhile
    const again = makeUndoContext(res.recorded as Json, { providers: providers() });
    await undoAction(azureSwap, {}, again.ctx);
    expect(world.fake.apps.get("shop")?.swaps).toBe(2);
    expect(version("production")).toBe("v1");
    expect(swapPosts()).toBe(2);
  });

  it("a saved operation that failed is not trusted: the next attempt looks at the slot and swaps", async () => {
    world.fake.options.pollsPerSwap = 2;
    const ac = new AbortController();
    const first = makeContext({ providers: providers(), signal: ac.signal });
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(structuredClone(data));
      if ((data as { poller?: string }).poller) ac.abort(new Error("killed"));
    };
    await expect(runAction(azureSwap, {}, first.ctx)).rejects.toThrow();
    // ARM reports that operation failed (e.g. a slot did not restart); nothing was swapped.
    const op = world.fake.apps.get("shop")?.operation;
    if (op) op.status = "Failed";
    world.fake.apps.get("shop")!.operation = undefined;
    const second = makeContext({
      providers: providers(),
      priorCheckpoint: first.seen.checkpoints.at(-1) as Json,
      attempt: 2,
    });
    await runAction(azureSwap, {}, second.ctx);
    expect(second.seen.warn.join()).toMatch(/did not complete/);
    expect(world.fake.apps.get("shop")?.swaps).toBe(1);
    expect(version("production")).toBe("v2");
  });

  it("addresses another app of the environment with `app` (matrix members)", async () => {
    world.fake.addApp("billing", { settings: { production: { APP_VERSION: "b1" }, staging: { APP_VERSION: "b2" } } });
    await runAction(azureSwap, { app: "billing" }, makeContext({ providers: providers() }).ctx);
    expect(world.fake.slot("billing", "production").appSettings.APP_VERSION).toBe("b2");
    expect(world.fake.apps.get("shop")?.swaps).toBe(0);
  });
});
