/**
 * traffic.shift on App Service "testing in production" routing rules
 * (production's `siteConfig.experiments.rampUpRules`), through the real
 * @azure/arm-appservice SDK against the ARM fake: weights become one rule per
 * slot pointing at the slot's host, production keeps the rest, undo clears them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { trafficShift } from "../../src/actions/traffic-shift.js";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { armSlots } from "./arm-helpers.js";
import { makeContext, makeUndoContext, runActionParsed, undoParsedAction } from "../support/context.js";

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
  fake.addApp("shop", { settings: { production: { APP_VERSION: "v1" }, staging: { APP_VERSION: "v2" } } });
});

const providers = () => ({ app: { capabilities: ["appservice", "traffic-split"], client: slots } });
const rules = () => fake.slot("shop", "production").rampUpRules ?? [];

describe("traffic.shift on App Service routing rules", () => {
  it("routes 10 then 50 % of production's requests to the staging host; undo removes the rule", async () => {
    const stagingHost = (await slots.getSlot("shop", "staging")).defaultHostName;
    const run = makeContext({ providers: providers() });
    const out = await runActionParsed(
      trafficShift,
      { to: "staging", steps: [10, 50], bake: { duration: "0s" } },
      run.ctx,
    );
    expect(out.result.outputs).toMatchObject({ from: "production", to: "staging" });
    expect(rules()).toEqual([{ name: "staging", actionHostName: stagingHost, reroutePercentage: 50 }]);
    expect(run.seen.checkpoints.map((c) => (c as { current: Json }).current)).toContainEqual({
      production: 90,
      staging: 10,
    });
    expect((await slots.readSplit({})).weights).toEqual({ production: 50, staging: 50 });

    const recorded = out.result.recorded as Json;
    await undoParsedAction(
      trafficShift,
      out.input,
      recorded,
      makeUndoContext(recorded, { providers: providers() }).ctx,
    );
    expect(rules()).toEqual([]);
    expect((await slots.readSplit({})).weights).toEqual({ production: 100 });
  });

  it("refuses a slot the app does not have", async () => {
    await expect(slots.writeSplit({}, { production: 90, canary: 10 })).rejects.toThrow(/has no slot canary/);
    expect(rules()).toEqual([]);
  });
});
