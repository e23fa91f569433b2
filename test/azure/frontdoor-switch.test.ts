/**
 * azure.frontdoor-switch against the fake Front Door ARM server through the
 * real @azure/arm-cdn client: switch, resume after a kill between the two
 * origin writes, undo (abort) restores, a change made by someone else since is
 * refused, propagation (deploymentStatus) is waited for.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { azureFrontDoorSwitch } from "../../src/actions/azure-frontdoor-switch.js";
import { azureFrontDoorProvider } from "../../src/providers/azure/frontdoor-provider.js";
import type { FrontDoorOrigins } from "../../src/providers/azure/frontdoor-client.js";
import { setCredentialFactory, staticTokenCredential } from "../../src/providers/azure/credential.js";
import { startFrontDoorFake, type FrontDoorFake } from "./fakes/frontdoor-server.js";
import { testCert } from "./fakes/tls.js";
import { failureOf, makeContext, makeUndoContext, providerContext, runAction, undoAction } from "../support/context.js";

setCredentialFactory(() => staticTokenCredential());

let fake: FrontDoorFake;
let client: FrontDoorOrigins;
beforeAll(async () => {
  fake = await startFrontDoorFake();
  const config = azureFrontDoorProvider.config.parse({
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg-shop",
    profile: "afd-shop",
    endpoint: fake.url,
    caCertFile: testCert().certFile,
    pollIntervalMs: 1,
    retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 5 },
  });
  client = await azureFrontDoorProvider.create(config, providerContext());
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.origins.clear();
  fake.onApplied = undefined;
  fake.addOrigin("og-shop", { name: "blue", priority: 1 });
  fake.addOrigin("og-shop", { name: "green", priority: 2, enabledState: "Disabled" });
});

const providers = () => ({ edge: { capabilities: ["frontdoor"], client } });
const step = { originGroup: "og-shop", from: "blue", to: "green" };
const blue = () => fake.origin("og-shop", "blue");
const green = () => fake.origin("og-shop", "green");

/** A first attempt that "dies" once its checkpoint says green is written (the signal aborts, as SIGKILL would). */
function killedAfterGreenJournaled() {
  const ac = new AbortController();
  const first = makeContext({ providers: providers(), signal: ac.signal });
  first.ctx.checkpoint = async (data) => {
    first.seen.checkpoints.push(structuredClone(data));
    if ((data as { done?: string[] }).done?.includes("green")) ac.abort(new Error("killed"));
  };
  return first;
}

/** A first attempt that dies as soon as green's update is applied, before the step can journal it. */
function killedAfterGreenWritten() {
  const ac = new AbortController();
  fake.onApplied = (_group, origin) => {
    if (origin === "green") ac.abort(new Error("killed"));
  };
  return makeContext({ providers: providers(), signal: ac.signal });
}

describe("azure.frontdoor-switch", () => {
  it("enables green, then disables blue, journals the previous values and waits for propagation", async () => {
    const { ctx, seen } = makeContext({ providers: providers() });
    const res = await runAction(azureFrontDoorSwitch, step, ctx);
    expect(green().enabledState).toBe("Enabled");
    expect(blue().enabledState).toBe("Disabled");
    expect(res.outputs).toEqual({ switched: true, written: ["green", "blue"] });
    expect(seen.checkpoints[0]).toMatchObject({
      previous: { from: { enabledState: "Enabled" }, to: { enabledState: "Disabled" } },
      target: { from: { enabledState: "Disabled" }, to: { enabledState: "Enabled" } },
    });
    // Done only once Front Door reports the change deployed to its edge.
    expect([blue().deploymentStatus, green().deploymentStatus]).toEqual(["Succeeded", "Succeeded"]);
    // A second run finds the switch made and writes nothing.
    const again = await runAction(azureFrontDoorSwitch, step, makeContext({ providers: providers() }).ctx);
    expect(again.outputs).toEqual({ switched: false, written: [] });
    expect(blue().writes + green().writes).toBe(2);
  });

  it.each([
    ["after green's write was journaled", "checkpoint"],
    ["after green was written, before that was journaled", "write"],
  ])("killed between the two origin writes (%s): the resumed attempt writes only blue", async (_when, at) => {
    const first = at === "checkpoint" ? killedAfterGreenJournaled() : killedAfterGreenWritten();
    await expect(runAction(azureFrontDoorSwitch, step, first.ctx)).rejects.toThrow();
    expect(green().enabledState).toBe("Enabled");
    expect(blue().enabledState).toBe("Enabled");
    fake.onApplied = undefined;
    const second = makeContext({
      providers: providers(),
      attempt: 2,
      priorCheckpoint: first.seen.checkpoints.at(-1) as Json,
    });
    const res = await runAction(azureFrontDoorSwitch, step, second.ctx);
    expect(res.outputs).toEqual({ switched: true, written: ["blue"] });
    expect(blue().enabledState).toBe("Disabled");
    expect(green().writes).toBe(1);
    expect(blue().writes).toBe(1);
  });

  it("abort restores the journaled values, blue first; an interrupted switch is undone from its checkpoint", async () => {
    const { ctx } = makeContext({ providers: providers() });
    const res = await runAction(azureFrontDoorSwitch, step, ctx);
    const undo = makeUndoContext(res.recorded as Json, { providers: providers() });
    await undoAction(azureFrontDoorSwitch, step, undo.ctx);
    expect(blue().enabledState).toBe("Enabled");
    expect(green().enabledState).toBe("Disabled");
    expect(undo.seen.info.join("\n")).toMatch(/blue restored \(2 origin/);

    // Interrupted after green only: undo (from the checkpoint) puts green back, leaves blue alone.
    const first = killedAfterGreenJournaled();
    await expect(runAction(azureFrontDoorSwitch, step, first.ctx)).rejects.toThrow();
    fake.onApplied = undefined;
    const writesBefore = blue().writes;
    const interrupted = makeUndoContext(null as unknown as Json, { providers: providers() });
    await undoAction(azureFrontDoorSwitch, step, {
      ...interrupted.ctx,
      recorded: null,
      lastCheckpoint: first.seen.checkpoints.at(-1) as Json,
    });
    expect(green().enabledState).toBe("Disabled");
    expect(blue().writes).toBe(writesBefore);
  });

  it("refuses to resume over an origin someone changed since, unless allowChangedSince", async () => {
    const first = killedAfterGreenJournaled();
    await expect(runAction(azureFrontDoorSwitch, step, first.ctx)).rejects.toThrow();
    fake.onApplied = undefined;
    // Someone turns green off again by hand while the run is stopped.
    green().enabledState = "Disabled";
    const prior = first.seen.checkpoints.at(-1) as Json;
    const e = await failureOf(
      runAction(azureFrontDoorSwitch, step, makeContext({ providers: providers(), priorCheckpoint: prior }).ctx),
    );
    expect(e.message).toMatch(/origin green has enabledState Disabled, .*someone changed it since/);
    expect(e.hint).toMatch(/allowChangedSince: true/);
    expect(blue().enabledState).toBe("Enabled");
    const forced = makeContext({ providers: providers(), priorCheckpoint: prior });
    await runAction(azureFrontDoorSwitch, { ...step, allowChangedSince: true }, forced.ctx);
    expect(green().enabledState).toBe("Enabled");
    expect(blue().enabledState).toBe("Disabled");
    expect(forced.seen.warn.join("\n")).toMatch(/allowChangedSince: true: origin green/);
  });

  it("by priority swaps the two origins' priorities and undo swaps them back", async () => {
    green().enabledState = "Enabled";
    const { ctx } = makeContext({ providers: providers() });
    const res = await runAction(azureFrontDoorSwitch, { ...step, by: "priority" }, ctx);
    expect([blue().priority, green().priority]).toEqual([2, 1]);
    await undoAction(
      azureFrontDoorSwitch,
      { ...step, by: "priority" },
      makeUndoContext(res.recorded as Json, { providers: providers() }).ctx,
    );
    expect([blue().priority, green().priority]).toEqual([1, 2]);
  });

  it("by weight swaps the two origins' weights; equal weights are refused before anything is written", async () => {
    green().enabledState = "Enabled";
    green().priority = 1;
    green().weight = 1;
    const res = await runAction(
      azureFrontDoorSwitch,
      { ...step, by: "weight" },
      makeContext({ providers: providers() }).ctx,
    );
    expect([blue().weight, green().weight]).toEqual([1, 1000]);
    expect(res.outputs).toEqual({ switched: true, written: ["green", "blue"] });
    blue().weight = 1000;
    const e = await failureOf(
      runAction(azureFrontDoorSwitch, { ...step, by: "weight" }, makeContext({ providers: providers() }).ctx),
    );
    expect(e.message).toMatch(/both have weight 1000/);
    expect(blue().writes + green().writes).toBe(2);
  });
});
