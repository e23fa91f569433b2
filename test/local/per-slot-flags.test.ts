/**
 * Per-slot flags on the local environment, with the real demo apps: `MaintenanceMode@blue` puts only the
 * app in blue in maintenance (CQRS Journey: V1 read-only while V2 already takes writes; both slots run v1 here, whose
 * writes need no migration), the shared
 * `MaintenanceMode` applies to both, and a slot's own value wins over the shared one. Each write returns
 * only once every running app has applied it, so the apps' answers are checked right after.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalClient } from "../../src/providers/local/client.js";
import { demoSpec, localUp } from "../../src/providers/local/lifecycle.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

let dir: string;
let client: LocalClient;
let urls: { blue: string; green: string };

beforeAll(async () => {
  ensureBuilt();
  dir = path.join(tempDir("slot-flags"), "local");
  const up = await localUp({ dir });
  client = new LocalClient({ dir });
  await client.deploy("green", demoSpec("v1"));
  const status = await client.status();
  urls = {
    blue: `http://127.0.0.1:${status.slots.blue.port}`,
    green: `http://127.0.0.1:${status.slots.green.port}`,
  };
  expect(up.status.live).toBe("blue");
}, 60_000);
afterAll(async () => {
  await destroyLocal(dir);
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

/** What each slot's app answers to a write: 503 in maintenance. */
async function writes(): Promise<{ blue: number; green: number }> {
  const post = async (base: string) =>
    (
      await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ item: "slot-flag-test", qty: 1 }),
      })
    ).status;
  return { blue: await post(urls.blue), green: await post(urls.green) };
}

const maintenance = async (base: string) =>
  ((await (await fetch(`${base}/health`)).json()) as { maintenance: boolean }).maintenance;

describe("per-slot flags (Name@slot)", () => {
  it("a slot's own flag applies to that slot only", async () => {
    expect(await writes()).toEqual({ blue: 201, green: 201 });
    await client.set("MaintenanceMode@blue", true);
    expect(await maintenance(urls.blue)).toBe(true);
    expect(await maintenance(urls.green)).toBe(false);
    expect(await writes()).toEqual({ blue: 503, green: 201 });
  });

  it("the slot's own value wins over the shared one; deleting it falls back to the shared value", async () => {
    await client.set("MaintenanceMode", true);
    await client.set("MaintenanceMode@green", false);
    expect(await writes()).toEqual({ blue: 503, green: 201 });
    await client.delete("MaintenanceMode@green");
    expect(await writes()).toEqual({ blue: 503, green: 503 });
    await client.delete("MaintenanceMode@blue");
    await client.set("MaintenanceMode", false);
    expect(await writes()).toEqual({ blue: 201, green: 201 });
  });

  it("an app started later sees its slot's value from its first request", async () => {
    await client.set("MaintenanceMode@green", true);
    await client.deploy("green", { ...demoSpec("v1"), env: { REDEPLOYED: "1" } });
    const status = await client.status();
    urls.green = `http://127.0.0.1:${status.slots.green.port}`;
    expect(await maintenance(urls.green)).toBe(true);
    expect(await maintenance(urls.blue)).toBe(false);
    await client.delete("MaintenanceMode@green");
  });

  it("refuses a flag for a slot that does not exist", async () => {
    await expect(client.set("MaintenanceMode@purple", true)).rejects.toThrow(/bad flag name/);
  });
});
