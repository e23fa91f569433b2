/**
 * `local.status` against the real supervisor: with the environment down it starts it from the playbook's
 * baseline; its outputs are the environment's own public URL, live slot and slots (checked against the
 * supervisor's status and through the public port); it changes nothing when run again; and it follows a swap.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localStatus } from "../../src/actions/local-status.js";
import { findAction } from "../../src/actions/registry.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localProvider } from "../../src/providers/local/index.js";
import { demoSpec } from "../../src/providers/local/lifecycle.js";
import { makeContext, runActionParsed, type EnvEntry } from "../support/context.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";

const stateDir = tempDir("status-action");
const dir = path.join(stateDir, "local");
const client = new LocalClient({ dir });
// The baseline is demo v2 under its own label, so an environment started from the default (demo v1) shows.
const environment: Record<string, EnvEntry> = {
  app: {
    def: localProvider as EnvEntry["def"],
    config: { baseline: { version: "baseline-v2", command: ["node", "demo/v2/server.js"] } },
  },
};
const ctx = () => makeContext({ stateDir, baseDir: ROOT, environment }).ctx;

beforeAll(() => ensureBuilt());
afterAll(() => destroyLocal(dir));

async function viaPublicUrl(url: string): Promise<{ slot: string | null; version: unknown }> {
  const res = await fetch(`${url}/version`);
  expect(res.status).toBe(200);
  return { slot: res.headers.get("x-cutover-slot"), version: ((await res.json()) as { version: unknown }).version };
}

describe("local.status", () => {
  it("is registered", () => {
    expect(findAction("local.status")).toBe(localStatus);
  });

  it("starts a stopped environment from the baseline and outputs its real public URL, live slot and slots", async () => {
    await expect(client.status()).rejects.toThrow(/not running/);
    const { result } = await runActionParsed(localStatus, {}, ctx());
    const status = await client.status();
    expect(result.outputs).toEqual({
      publicUrl: status.publicUrl,
      live: "blue",
      idle: "green",
      dir,
      canary: null,
      slots: {
        blue: {
          version: "baseline-v2",
          running: true,
          health: "healthy",
          url: status.slots.blue.url,
          port: status.slots.blue.port,
        },
        green: {
          version: null,
          running: false,
          health: status.slots.green.health,
          url: status.slots.green.url,
          port: status.slots.green.port,
        },
      },
    });
    expect(await viaPublicUrl(String(result.outputs!.publicUrl))).toEqual({ slot: "blue", version: "v2" });
  });

  it("changes nothing when run again", async () => {
    const before = await client.status();
    const { result } = await runActionParsed(localStatus, { target: "app" }, ctx());
    const after = await client.status();
    expect(after.supervisorPid).toBe(before.supervisorPid);
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.slots.blue.pid).toBe(before.slots.blue.pid);
    expect(after.slots.green.running).toBe(false);
    expect(result.outputs).toMatchObject({ publicUrl: before.publicUrl, live: "blue" });
  });

  it("follows the environment: a version in green, made live", async () => {
    await client.deploy("green", demoSpec("v1"));
    await client.setLive("green");
    const { result } = await runActionParsed(localStatus, {}, ctx());
    const status = await client.status();
    expect(result.outputs).toMatchObject({
      publicUrl: status.publicUrl,
      live: "green",
      idle: "blue",
      slots: {
        blue: { version: "baseline-v2", running: true, url: status.slots.blue.url },
        green: { version: "v1", running: true, health: "healthy", url: status.slots.green.url },
      },
    });
    expect(await viaPublicUrl(String(result.outputs!.publicUrl))).toEqual({ slot: "green", version: "v1" });
    // Each slot's own url reaches that slot's app, not the proxy.
    const green = (result.outputs!.slots as Record<string, { url: string }>).green!.url;
    expect(((await (await fetch(`${green}/version`)).json()) as { version: string }).version).toBe("v1");
  });
});
