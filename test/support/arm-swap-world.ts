/**
 * The App Service swap tests' world (test/azure/swap-action.test.ts, test/azure/swap-realism.test.ts): one fake
 * ARM server for the test file (no SCM sites), the real App Service client on it, and before each test a fresh
 * web app `shop` (production at v1, staging at `stagingVersion`, SLOT_NAME sticky) whose swaps complete after
 * three polls, with no faults and no requests recorded.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { AppServiceSlots } from "../../src/providers/azure/appservice-client.js";
import { armSlots } from "../azure/arm-helpers.js";
import { startArmFake, type ArmFake } from "../azure/fakes/arm-server.js";

export interface ArmSwapWorld {
  readonly fake: ArmFake;
  readonly slots: AppServiceSlots;
  /** The providers an action's context offers: `app`, the App Service client. */
  providers(): { app: { capabilities: string[]; client: AppServiceSlots } };
  /** The APP_VERSION setting of one of shop's slots. */
  version(slot: string): string | undefined;
}

/** Registers the fake's start, stop and per-test reset in this test file. */
export function armSwapWorld(opts: { stagingVersion: string }): ArmSwapWorld {
  let fake: ArmFake | undefined;
  let slots: AppServiceSlots | undefined;
  beforeAll(async () => {
    fake = await startArmFake({ sites: false });
    slots = await armSlots(fake);
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    const f = world.fake;
    f.apps.clear();
    f.faults.clear();
    f.requests.length = 0;
    f.options.pollsPerSwap = 3;
    f.options.swapCompletesAfterMs = 20_000;
    f.addApp("shop", {
      sticky: ["SLOT_NAME"],
      settings: {
        production: { APP_VERSION: "v1", SLOT_NAME: "prod" },
        staging: { APP_VERSION: opts.stagingVersion, SLOT_NAME: "staging" },
      },
    });
  });
  const world: ArmSwapWorld = {
    get fake() {
      if (!fake) throw new Error("the ARM fake starts in beforeAll");
      return fake;
    },
    get slots() {
      if (!slots) throw new Error("the App Service client is built in beforeAll");
      return slots;
    },
    providers: () => ({ app: { capabilities: ["appservice"], client: world.slots } }),
    version: (slot) => world.fake.slot("shop", slot).appSettings.APP_VERSION,
  };
  return world;
}
