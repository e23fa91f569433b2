/**
 * Drain semantics: it waits for exactly the requests in flight when it began
 * (pushed by the proxy the moment the last one ends, so later requests never
 * extend it), writes-only drains ignore reads, and a timeout fails or goes on.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localDrain } from "../../src/actions/local-drain.js";
import { localProvider } from "../../src/providers/local/index.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import type { LocalStatus } from "../../src/core/slots.js";
import { makeContext, runActionParsed, type EnvEntry } from "../support/context.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";

const stateDir = tempDir("drain");
const dir = path.join(stateDir, "local");
const client = new LocalClient({ dir });
const environment: Record<string, EnvEntry> = { app: { def: localProvider as EnvEntry["def"], config: {} } };
let status: LocalStatus;

beforeAll(async () => {
  ensureBuilt();
  status = (await localUp({ dir })).status;
});
afterAll(() => destroyLocal(dir));

const pending: Promise<unknown>[] = [];
const cancels: AbortController[] = [];
// No test leaves its slow requests in flight for the next one: those it did not wait for are cancelled.
afterEach(async () => {
  for (const c of cancels.splice(0)) c.abort();
  await Promise.allSettled(pending.splice(0));
  // A cancelled fetch only half-closes its connection, which the proxy answers anyway (it may be a client that
  // sent its request and shut its side): the requests count in flight until the app answers them.
  while ((await client.status()).slots.blue.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
});

/**
 * A request held `ms` by the app. The waits below are ordered by wide margins
 * (seconds), so a loaded machine does not reorder them.
 */
function slow(method: "GET" | "POST", ms: number) {
  const url = `${status.publicUrl}/orders?delayMs=${ms}`;
  const cancel = new AbortController();
  cancels.push(cancel);
  const body = method === "POST" ? "{}" : undefined;
  const p = fetch(url, { method, body, signal: cancel.signal }).then(async (r) => ({
    status: r.status,
    body: await r.text(),
  }));
  pending.push(p);
  return p;
}

async function inFlight(min: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await client.status()).slots.blue.inFlight >= min) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("requests never arrived");
}

describe("local.drain", () => {
  it("ends when the requests in flight at its start have ended, not later ones", async () => {
    const first = slow("GET", 400);
    await inFlight(1);
    let laterDone = false;
    const drain = runActionParsed(
      localDrain,
      { slot: "blue", timeout: "10s" },
      makeContext({ stateDir, baseDir: ROOT, environment }).ctx,
    );
    await new Promise((r) => setTimeout(r, 50));
    void slow("GET", 3000).then(
      () => (laterDone = true),
      () => undefined,
    );
    const { result } = await drain;
    expect(laterDone).toBe(false);
    expect(result.outputs).toMatchObject({ slot: "blue", drained: true, pendingAtStart: 1 });
    const firstRes = await first;
    expect(firstRes.status).toBe(200);
    expect(result.outputs!.lastEndedAt).toEqual(expect.any(Number));
  });

  it("with requests: writes, waits for an accepted write and ignores reads", async () => {
    void slow("GET", 4000);
    const write = slow("POST", 2000);
    await inFlight(2);
    await client.set("MaintenanceMode", true);
    try {
      // New writes are refused now; the accepted one is still running.
      const refused = await fetch(`${status.publicUrl}/orders`, { method: "POST", body: "{}" });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("5");
      const { result } = await runActionParsed(
        localDrain,
        { slot: "live", requests: "writes" },
        makeContext({ stateDir, baseDir: ROOT, environment }).ctx,
      );
      expect(result.outputs).toMatchObject({ drained: true, pendingAtStart: 1 });
      const w = await write;
      expect(w.status).toBe(201);
      // The read is still running: the drain did not wait for it.
      expect((await client.status()).slots.blue).toMatchObject({ inFlight: 1, inFlightWrites: 0 });
    } finally {
      await client.delete("MaintenanceMode");
    }
  });

  it("fails at its timeout, or goes on with onTimeout: continue", async () => {
    const held = slow("GET", 1000);
    await inFlight(1);
    const ctx = () => makeContext({ stateDir, baseDir: ROOT, environment }).ctx;
    await expect(runActionParsed(localDrain, { slot: "blue", timeout: "100ms" }, ctx())).rejects.toThrow(
      /still had requests in flight/,
    );
    const { result } = await runActionParsed(
      localDrain,
      { slot: "blue", timeout: "100ms", onTimeout: "continue" },
      ctx(),
    );
    expect(result.outputs).toMatchObject({ drained: false, pendingAtStart: 1 });
    await held;
  });

  it("stops waiting when the step is cancelled", async () => {
    const held = slow("GET", 800);
    await inFlight(1);
    const ac = new AbortController();
    const drain = runActionParsed(
      localDrain,
      { slot: "blue", timeout: "1m" },
      makeContext({ stateDir, baseDir: ROOT, environment, signal: ac.signal }).ctx,
    );
    setTimeout(() => ac.abort(new Error("step timed out")), 100);
    await expect(drain).rejects.toThrow("step timed out");
    await held;
  });
});
