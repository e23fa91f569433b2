/**
 * The local.* actions one by one: idempotence (a second run changes
 * nothing), refusals (the live slot), undo, dry run, and resumption from a
 * checkpoint.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localDeploy } from "../../src/actions/local-deploy.js";
import { localStop } from "../../src/actions/local-stop.js";
import { localSwap } from "../../src/actions/local-swap.js";
import type { Json } from "../../src/core/json.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localProvider } from "../../src/providers/local/index.js";
import { demoSpec, localUp } from "../../src/providers/local/lifecycle.js";
import { makeContext, runActionParsed, undoAction, undoParsedAction, type EnvEntry } from "../support/context.js";
import { destroyLocal, ensureBuilt, ROOT, tempDir } from "./env.js";

const stateDir = tempDir("actions");
const dir = path.join(stateDir, "local");
const client = new LocalClient({ dir });
const environment: Record<string, EnvEntry> = { app: { def: localProvider as EnvEntry["def"], config: {} } };
const ctx = (priorCheckpoint?: Json) => makeContext({ stateDir, baseDir: ROOT, environment, priorCheckpoint });
const v2 = { version: "v2", command: ["node", "demo/v2/server.js"] };

beforeAll(async () => {
  ensureBuilt();
  await localUp({ dir });
});
afterAll(() => destroyLocal(dir));

describe("local.* actions", () => {
  it("local.deploy is idempotent, refuses the live slot, and its undo stops what it started", async () => {
    const first = await runActionParsed(localDeploy, v2, ctx().ctx);
    expect(first.result.outputs).toMatchObject({ slot: "green", live: "blue", version: "v2", changed: true });
    const pid = (await client.status()).slots.green.pid;
    const second = await runActionParsed(localDeploy, { ...v2, slot: "green" }, ctx().ctx);
    expect(second.result.outputs).toMatchObject({ slot: "green", changed: false });
    expect((await client.status()).slots.green.pid).toBe(pid);

    await expect(runActionParsed(localDeploy, { ...v2, slot: "blue" }, ctx().ctx)).rejects.toThrow(/live/);

    await undoParsedAction(localDeploy, first.input, first.result.recorded as Json, ctx().ctx);
    expect((await client.status()).slots.green.running).toBe(false);
  });

  it("a resumed local.deploy goes to the slot its first attempt chose and undo restores what was there", async () => {
    // Green runs v1 first; the release replaces it with v2.
    await client.deploy("green", {
      version: "v1",
      command: ["node", "demo/v1/server.js"],
      cwd: ROOT,
      env: {},
      healthPath: "/health",
      healthTimeoutMs: 15_000,
    });
    const first = ctx();
    await runActionParsed(localDeploy, v2, first.ctx);
    expect(first.seen.checkpoints).toEqual([{ slot: "green", live: "blue", previous: { version: "v1" } }]);
    const resumed = await runActionParsed(localDeploy, v2, ctx(first.seen.checkpoints[0]).ctx);
    expect(resumed.result.recorded).toEqual({ slot: "green", version: "v2", previous: { version: "v1" } });
    expect(resumed.result.outputs!.changed).toBe(false);

    await undoParsedAction(localDeploy, resumed.input, resumed.result.recorded as Json, ctx().ctx);
    expect((await client.status()).slots.green).toMatchObject({ version: "v1", running: true, health: "healthy" });
  });

  it("local.deploy of an app that dies on start fails with its log, and leaves the live slot serving", async () => {
    const crashing = {
      version: "broken",
      command: ["node", "-e", "console.error('cannot open config'); process.exit(3)"],
      slot: "green",
    };
    await expect(runActionParsed(localDeploy, crashing, ctx().ctx)).rejects.toThrow(
      /exited with code 3 before becoming healthy[\s\S]*cannot open config/,
    );
    const status = await client.status();
    expect(status.live).toBe("blue");
    expect(status.slots.green).toMatchObject({ version: "broken", running: false });
    expect((await fetch(`${status.publicUrl}/version`)).status).toBe(200);
    // Put green back as the next test expects it.
    await client.revive("green", "v1");
  });

  it("local.stop refuses the live slot, is idempotent, and its undo starts the slot again", async () => {
    await expect(runActionParsed(localStop, { slot: "blue" }, ctx().ctx)).rejects.toThrow(/live/);
    const stopped = await runActionParsed(localStop, { slot: "idle" }, ctx().ctx);
    expect(stopped.result.outputs).toMatchObject({ slot: "green", version: "v1", changed: true });
    const again = await runActionParsed(localStop, { slot: "green" }, ctx().ctx);
    expect(again.result.outputs).toMatchObject({ slot: "green", changed: false });
    await undoParsedAction(localStop, stopped.input, stopped.result.recorded as Json, ctx().ctx);
    expect((await client.status()).slots.green).toMatchObject({ version: "v1", running: true, health: "healthy" });
  });

  it("local.swap refuses a slot that is not healthy, and swapping to the live slot changes nothing", async () => {
    await client.stop("green", { drainTimeoutMs: 1000, killAfterMs: 2000 });
    await expect(runActionParsed(localSwap, { to: "green" }, ctx().ctx)).rejects.toThrow(/not running healthy/);
    const same = await runActionParsed(localSwap, { to: "blue" }, ctx().ctx);
    expect(same.result.outputs).toMatchObject({ live: "blue", previous: "blue", changed: false });
    expect((await client.status()).live).toBe("blue");
  });
  it("undoes an interrupted local.stop from its checkpoint: the old version runs again", async () => {
    await client.deploy("green", {
      version: "v1",
      command: ["node", "demo/v1/server.js"],
      cwd: ROOT,
      env: {},
      healthPath: "/health",
      healthTimeoutMs: 15_000,
    });
    const first = ctx();
    await runActionParsed(localStop, { slot: "green" }, first.ctx);
    expect((await client.status()).slots.green.running).toBe(false);
    await undoAction(
      localStop,
      { slot: "green" },
      { ...ctx().ctx, recorded: null, lastCheckpoint: first.seen.checkpoints[0] },
    );
    expect((await client.status()).slots.green).toMatchObject({ version: "v1", running: true, health: "healthy" });
    await client.stop("green", { drainTimeoutMs: 1000, killAfterMs: 2000 });
  });

  it("local.stop's grace period counts from the step's start, and a step resumed during it waits only what is left", async () => {
    await client.deploy("green", demoSpec("v1"));
    const begun = Date.now();
    const fresh = ctx();
    await runActionParsed(localStop, { slot: "green", after: "300ms" }, fresh.ctx);
    const stopAt = Date.parse((fresh.seen.checkpoints[0] as { stopAt: string }).stopAt);
    expect(stopAt - begun).toBeGreaterThanOrEqual(300);
    expect(stopAt - begun).toBeLessThan(300 + (Date.now() - begun));

    await client.deploy("green", demoSpec("v1"));
    const resumed = ctx({ slot: "green", version: "v1", stopAt: new Date(Date.now() + 200).toISOString() });
    // `after` is an hour; what is left of the grace the first attempt began is 200 ms.
    await runActionParsed(localStop, { slot: "green", after: "1h" }, resumed.ctx);
    expect(resumed.seen.progress.map((p) => p.message)).toEqual([
      expect.stringMatching(/^green \(v1\) stops in \d+ms$/),
    ]);
    expect((await client.status()).slots.green.running).toBe(false);
  });

  it("undoes an interrupted local.deploy from its checkpoint, and does nothing without one", async () => {
    const first = ctx();
    await runActionParsed(localDeploy, { ...v2, slot: "green" }, first.ctx);
    expect((await client.status()).slots.green.running).toBe(true);
    // The journal has the checkpoint (slot, live, previous) but not the success.
    await undoAction(
      localDeploy,
      { ...v2, slot: "green" },
      { ...ctx().ctx, recorded: null, lastCheckpoint: first.seen.checkpoints[0] },
    );
    expect((await client.status()).slots.green.running).toBe(false);
    await localDeploy.undoRun!(localDeploy.with.parse({ ...v2, slot: "green" }), { ...ctx().ctx, recorded: null });
    expect((await client.status()).slots.green.running).toBe(false);
  });

  it("undoes an interrupted local.swap from its checkpoint: only if the switch landed", async () => {
    await runActionParsed(localDeploy, { ...v2, slot: "green" }, ctx().ctx);
    // The switch landed, then cutover died before journaling success: abort puts blue back.
    await client.setLive("green");
    await localSwap.undoRun!(localSwap.with.parse({ to: "green" }), {
      ...ctx().ctx,
      recorded: null,
      lastCheckpoint: { from: "blue", to: "green" },
    });
    expect((await client.status()).live).toBe("blue");
    // It died before the switch: nothing to undo, and blue stays live.
    const early = ctx();
    await localSwap.undoRun!(localSwap.with.parse({ to: "green" }), {
      ...early.ctx,
      recorded: null,
      lastCheckpoint: { from: "blue", to: "green" },
    });
    expect((await client.status()).live).toBe("blue");
    expect(early.seen.lines.join("\n")).toMatch(/did not leave green live/);
    // No checkpoint at all: it changed nothing.
    await localSwap.undoRun!(localSwap.with.parse({ to: "green" }), { ...ctx().ctx, recorded: null });
    expect((await client.status()).live).toBe("blue");
  });

  it("local.deploy into a slot swapped out a moment ago lets its requests finish first", async () => {
    // An app that dies at once on SIGTERM: only the drain before the stop saves its request.
    const abrupt =
      "require('http').createServer((q, s) => (q.url === '/slow' ? setTimeout(() => s.end('done'), 700) : " +
      "s.end('ok'))).listen(Number(process.env.PORT), '127.0.0.1'); process.on('SIGTERM', () => process.exit(0))";
    await client.deploy("green", {
      version: "abrupt",
      command: ["node", "-e", abrupt],
      cwd: ROOT,
      env: {},
      healthPath: "/",
      healthTimeoutMs: 15_000,
    });
    await client.setLive("green");
    const status = await client.status();
    const slow = fetch(`${status.publicUrl}/slow`).then(async (r) => `${r.status} ${await r.text()}`);
    while ((await client.status()).slots.green.inFlight < 1) await new Promise((r) => setTimeout(r, 10));
    await client.setLive("blue");
    await runActionParsed(localDeploy, { ...v2, slot: "green" }, ctx().ctx);
    expect(await slow).toBe("200 done");
    expect((await client.status()).slots.green).toMatchObject({ version: "v2", health: "healthy" });
  });
});
