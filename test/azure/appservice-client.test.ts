import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startArmFake, type ArmFake } from "./fakes/arm-server.js";
import { RG, SUB, armSlots } from "./arm-helpers.js";
import { ErrorCode, isCutoverError } from "../../src/core/errors.js";
import { setCredentialFactory } from "../../src/providers/azure/credential.js";

let fake: ArmFake;
beforeAll(async () => {
  fake = await startArmFake();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  fake.apps.clear();
  fake.faults.clear();
  fake.requests.length = 0;
  fake.addApp("shop", {
    sticky: ["SLOT_NAME"],
    settings: {
      production: { APP_VERSION: "v1", SLOT_NAME: "prod" },
      staging: { APP_VERSION: "v2", SLOT_NAME: "staging" },
    },
  });
});

describe("App Service slots client (real SDK against the fake ARM server)", () => {
  it("reads slot state and settings of production and a slot", async () => {
    const slots = await armSlots(fake);
    const prod = await slots.getSlot("shop", "production");
    expect(prod).toMatchObject({ app: "shop", slot: "production", state: "Running" });
    expect(prod.defaultHostName).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await slots.listAppSettings("shop", "staging")).toEqual({ APP_VERSION: "v2", SLOT_NAME: "staging" });
    expect((await slots.stickyNames("shop")).appSettingNames).toEqual(["SLOT_NAME"]);
  });

  it("swaps as a long-running operation polled to completion; sticky settings stay", async () => {
    const slots = await armSlots(fake);
    const poller = slots.beginSwap("shop", "staging", "production");
    await poller.submitted();
    const saved = await poller.serialize();
    expect(JSON.parse(saved)).toHaveProperty("state");
    await poller.pollUntilDone();
    expect(fake.apps.get("shop")?.swaps).toBe(1);
    expect(fake.slot("shop", "production").appSettings).toEqual({ APP_VERSION: "v2", SLOT_NAME: "prod" });
    const st = await slots.getSlot("shop", "production");
    expect(st.slotSwapStatus).toMatchObject({ sourceSlotName: "staging", destinationSlotName: "production" });
  });

  it("a restored poller continues the same operation without a second swap", async () => {
    const slots = await armSlots(fake);
    const poller = slots.beginSwap("shop", "staging", "production");
    await poller.submitted();
    const saved = await poller.serialize();
    // A new process: a fresh client restores the operation from its saved state.
    const other = await armSlots(fake);
    await other.restoreSwap(saved).pollUntilDone();
    expect(fake.apps.get("shop")?.swaps).toBe(1);
    expect(fake.requests.filter((r) => r.endsWith("/slotsswap"))).toHaveLength(1);
  });

  it("asks for a token for the ARM endpoint's own audience (sovereign clouds)", async () => {
    const scopes: string[] = [];
    const previous = setCredentialFactory(() => ({
      getToken: async (s: string | string[]) => {
        scopes.push(...(Array.isArray(s) ? s : [s]));
        return { token: "t", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    }));
    try {
      const slots = await armSlots(fake);
      await slots.getSlot("shop", "production");
      expect(scopes).toEqual([`${fake.url}/.default`]);
    } finally {
      setCredentialFactory(previous);
    }
  });

  it("retries 429 (Retry-After), 503 and connection resets", async () => {
    const slots = await armSlots(fake);
    fake.faults.add({
      method: "GET",
      path: /slots\/staging$/,
      fault: { kind: "status", status: 429, retryAfterMs: 5 },
    });
    fake.faults.add({ method: "GET", path: /slots\/staging$/, fault: { kind: "status", status: 503 } });
    fake.faults.add({ method: "GET", path: /slots\/staging$/, fault: { kind: "reset" } });
    expect((await slots.getSlot("shop", "staging")).state).toBe("Running");
    expect(fake.faults.injected).toBe(3);
  });

  it("honours a Retry-After in seconds on throttling", async () => {
    const slots = await armSlots(fake, { retry: { maxRetries: 1, retryDelayMs: 1, maxRetryDelayMs: 1 } });
    fake.faults.add({
      method: "GET",
      path: /slots\/staging$/,
      fault: { kind: "status", status: 429, retryAfterSeconds: 1 },
    });
    const t0 = Date.now();
    await slots.getSlot("shop", "staging");
    // The retry waited for the service's Retry-After, not our 1 ms backoff.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it("a hung request times out and is retried", async () => {
    const slots = await armSlots(fake, {
      retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 1, requestTimeoutMs: 150 },
    });
    fake.faults.add({ method: "GET", path: /slots\/staging$/, fault: { kind: "hang" } });
    expect((await slots.getSlot("shop", "staging")).state).toBe("Running");
    expect(
      fake.requests.filter(
        (r) => r === `GET /subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Web/sites/shop/slots/staging`,
      ),
    ).toHaveLength(2);
  });

  it("a hung request is cancelled through the abort signal", async () => {
    const slots = await armSlots(fake, { retry: { maxRetries: 0 } });
    fake.faults.add({ method: "GET", path: /slots\/staging$/, fault: { kind: "hang" } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(slots.getSlot("shop", "staging", ac.signal)).rejects.toThrow();
  });

  it("translates errors: 403 names the role, 404 the resource, 409 names the operation in progress", async () => {
    const slots = await armSlots(fake, { retry: { maxRetries: 0 } });
    fake.faults.add({ path: /appsettings\/list$/, fault: { kind: "status", status: 403 } });
    const denied = await slots.listAppSettings("shop", "staging").catch((e: unknown) => e);
    expect(isCutoverError(denied, ErrorCode.Provider) && denied.message).toMatch(/Website Contributor/);
    const missing = await slots.getSlot("nope", "staging").catch((e: unknown) => e);
    expect(isCutoverError(missing, ErrorCode.Provider) && missing.message).toMatch(
      /web app nope slot staging .*does not exist/,
    );
    const p = slots.beginSwap("shop", "staging", "production");
    await p.submitted();
    const busy = await slots.applySlotConfig("shop", "staging", "production").catch((e: unknown) => e);
    expect(isCutoverError(busy, ErrorCode.Provider) && busy.message).toMatch(
      /another operation is in progress on the site \(SwapSiteSlots\)/,
    );
    await p.pollUntilDone();
  });
});
