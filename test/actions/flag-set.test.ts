import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import { flagSet } from "../../src/actions/flag-set.js";
import { FileFlagStore } from "../../src/providers/file/flag-store.js";
import type { FlagStore } from "../../src/core/flag-store.js";
import {
  failureOf,
  makeContext,
  makeUndoContext,
  runAction,
  undoAction,
  type ContextOptions,
} from "../support/context.js";
import { MemoryFlagStore } from "./memory-flag-store.js";

const providers = (client: FlagStore, target = "flags") => ({ [target]: { capabilities: ["flags"], client } });
const ctxFor = (store: FlagStore, extra: ContextOptions = {}) => makeContext({ providers: providers(store), ...extra });
const undoCtxFor = (store: FlagStore, recorded: Json) => makeUndoContext(recorded, { providers: providers(store) });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cutover-flags-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("flag.set", () => {
  it("checkpoints the previous value before writing, records it, and undo restores it", async () => {
    const store = new MemoryFlagStore({ MaintenanceMode: false });
    const { ctx, seen } = ctxFor(store);
    let checkpointsAtWrite = -1;
    store.afterWrite = () => (checkpointsAtWrite = seen.checkpoints.length);
    const r = await runAction(flagSet, { name: "MaintenanceMode", value: true }, ctx);
    expect(checkpointsAtWrite).toBe(1);
    expect(seen.checkpoints[0]).toEqual({ name: "MaintenanceMode", existed: true, previous: false });
    expect(r.recorded).toEqual({ name: "MaintenanceMode", existed: true, previous: false, value: true });
    expect(r.outputs).toEqual({ changed: true, existed: true, previous: false });
    expect((await store.get("MaintenanceMode")).value).toBe(true);

    store.afterWrite = undefined;
    await undoAction(flagSet, { name: "MaintenanceMode", value: true }, undoCtxFor(store, r.recorded!).ctx);
    expect((await store.get("MaintenanceMode")).value).toBe(false);
    // Undo is idempotent: a second run (a resumed abort) changes nothing.
    const writes = store.writes;
    await undoAction(flagSet, { name: "MaintenanceMode", value: true }, undoCtxFor(store, r.recorded!).ctx);
    expect(store.writes).toBe(writes);
  });

  it("creates a flag that did not exist, and undo deletes it", async () => {
    const store = new MemoryFlagStore();
    const r = await runAction(flagSet, { name: "ReadOnly", value: { since: "v2" } }, ctxFor(store).ctx);
    expect(r.recorded).toMatchObject({ existed: false, previous: null });
    await undoAction(flagSet, { name: "ReadOnly", value: { since: "v2" } }, undoCtxFor(store, r.recorded!).ctx);
    expect(store.flags.has("ReadOnly")).toBe(false);
  });

  it("writes nothing when the flag already has the value, and undo then has nothing to restore", async () => {
    const store = new MemoryFlagStore({ Mode: { a: 1, b: [2] } });
    const { ctx, seen } = ctxFor(store);
    const r = await runAction(flagSet, { name: "Mode", value: { b: [2], a: 1 } }, ctx);
    expect(store.writes).toBe(0);
    expect(seen.checkpoints).toHaveLength(0);
    expect(r.outputs?.changed).toBe(false);
    store.edit("Mode", "someone else's");
    await undoAction(flagSet, { name: "Mode", value: { a: 1, b: [2] } }, undoCtxFor(store, r.recorded!).ctx);
    expect((await store.get("Mode")).value).toBe("someone else's");
  });

  it(
    "after a crash between the write and the success " + "event, the resumed attempt records the true original",
    async () => {
      const store = new MemoryFlagStore({ MaintenanceMode: false });
      const first = ctxFor(store);
      store.afterWrite = () => {
        throw new Error("process killed");
      };
      await expect(runAction(flagSet, { name: "MaintenanceMode", value: true }, first.ctx)).rejects.toThrow(
        "process killed",
      );
      expect((await store.get("MaintenanceMode")).value).toBe(true);
      store.afterWrite = undefined;

      // The engine hands the resumed attempt the last checkpoint of the step.
      const second = ctxFor(store, { attempt: 2, priorCheckpoint: first.seen.checkpoints.at(-1) });
      const r = await runAction(flagSet, { name: "MaintenanceMode", value: true }, second.ctx);
      expect(store.writes).toBe(1);
      expect(r.recorded).toEqual({ name: "MaintenanceMode", existed: true, previous: false, value: true });
      expect(r.outputs?.changed).toBe(true);

      await undoAction(flagSet, { name: "MaintenanceMode", value: true }, undoCtxFor(store, r.recorded!).ctx);
      expect((await store.get("MaintenanceMode")).value).toBe(false);
    },
  );

  it("after a crash between the checkpoint and the write, the resumed attempt writes", async () => {
    const store = new MemoryFlagStore({ MaintenanceMode: false });
    const first = ctxFor(store);
    first.ctx.checkpoint = async (data) => {
      first.seen.checkpoints.push(data);
      throw new Error("process killed");
    };
    await expect(runAction(flagSet, { name: "MaintenanceMode", value: true }, first.ctx)).rejects.toThrow(
      "process killed",
    );
    expect(store.writes).toBe(0);

    const r = await runAction(
      flagSet,
      { name: "MaintenanceMode", value: true },
      ctxFor(store, { priorCheckpoint: first.seen.checkpoints.at(-1) }).ctx,
    );
    expect(store.writes).toBe(1);
    expect(r.recorded).toMatchObject({ existed: true, previous: false });
  });

  it("aborted after a crash, restores from the checkpoint only a write that is in place", async () => {
    const interrupted = (store: FlagStore, checkpoint: Json | undefined) => {
      const u = undoCtxFor(store, null);
      return { ...u, ctx: { ...u.ctx, ...(checkpoint === undefined ? {} : { lastCheckpoint: checkpoint }) } };
    };
    // Killed after the write: maintenance mode is on and the journal has only the checkpoint.
    const store = new MemoryFlagStore({ MaintenanceMode: false });
    const first = ctxFor(store);
    store.afterWrite = () => {
      throw new Error("process killed");
    };
    await expect(runAction(flagSet, { name: "MaintenanceMode", value: true }, first.ctx)).rejects.toThrow(
      "process killed",
    );
    store.afterWrite = undefined;
    await undoAction(
      flagSet,
      { name: "MaintenanceMode", value: true },
      interrupted(store, first.seen.checkpoints.at(-1)).ctx,
    );
    expect((await store.get("MaintenanceMode")).value).toBe(false);

    // Killed between the checkpoint and the write: nothing of ours to undo, and a later edit by a person is left alone.
    const untouched = new MemoryFlagStore({ MaintenanceMode: false });
    const early = ctxFor(untouched);
    early.ctx.checkpoint = async (data) => {
      early.seen.checkpoints.push(data);
      throw new Error("process killed");
    };
    await expect(runAction(flagSet, { name: "MaintenanceMode", value: true }, early.ctx)).rejects.toThrow(
      "process killed",
    );
    untouched.edit("MaintenanceMode", "set by hand");
    const undo = interrupted(untouched, early.seen.checkpoints.at(-1));
    await undoAction(flagSet, { name: "MaintenanceMode", value: true }, undo.ctx);
    expect((await untouched.get("MaintenanceMode")).value).toBe("set by hand");
    expect(undo.seen.info.join("\n")).toMatch(/not in place/);

    // No checkpoint at all: it wrote nothing.
    await undoAction(flagSet, { name: "MaintenanceMode", value: true }, interrupted(untouched, undefined).ctx);
    expect((await untouched.get("MaintenanceMode")).value).toBe("set by hand");
  });

  it("trusts the flag over a stale checkpoint when someone changed it between the crash and the resume", async () => {
    const store = new MemoryFlagStore({ Level: 1 });
    const first = ctxFor(store);
    store.afterWrite = () => {
      throw new Error("process killed");
    };
    await expect(runAction(flagSet, { name: "Level", value: 2 }, first.ctx)).rejects.toThrow();
    store.afterWrite = undefined;
    store.edit("Level", 5);

    const r = await runAction(
      flagSet,
      { name: "Level", value: 2 },
      ctxFor(store, { priorCheckpoint: first.seen.checkpoints.at(-1) }).ctx,
    );
    expect(r.recorded).toMatchObject({ existed: true, previous: 5, value: 2 });
    await undoAction(flagSet, { name: "Level", value: 2 }, undoCtxFor(store, r.recorded!).ctx);
    expect((await store.get("Level")).value).toBe(5);
  });

  it("refuses to overwrite a concurrent edit made between its read and its write", async () => {
    const store = new MemoryFlagStore({ MaintenanceMode: false });
    const racing: FlagStore = {
      get: async (name) => {
        const v = await store.get(name);
        store.edit(name, "edited by a person");
        return v;
      },
      set: (n, v, o) => store.set(n, v, o),
      delete: (n, o) => store.delete(n, o),
    };
    const e = await failureOf(runAction(flagSet, { name: "MaintenanceMode", value: true }, ctxFor(racing).ctx));
    expect(e.message).toContain("changed by someone else");
    expect((await store.get("MaintenanceMode")).value).toBe("edited by a person");
  });

  it("undo refuses when someone changed the flag since, unless force", async () => {
    const store = new MemoryFlagStore({ MaintenanceMode: false });
    const r = await runAction(flagSet, { name: "MaintenanceMode", value: true }, ctxFor(store).ctx);
    store.edit("MaintenanceMode", "manual");
    const e = await failureOf(
      undoAction(flagSet, { name: "MaintenanceMode", value: true }, undoCtxFor(store, r.recorded!).ctx),
    );
    expect(e.message).toContain("changed by someone else");
    expect(e.message).toContain('it is now "manual"');
    expect(e.retryable).toBe(false);
    expect((await store.get("MaintenanceMode")).value).toBe("manual");

    await undoAction(
      flagSet,
      { name: "MaintenanceMode", value: true, force: true },
      undoCtxFor(store, r.recorded!).ctx,
    );
    expect((await store.get("MaintenanceMode")).value).toBe(false);
  });

  it("leaves the flag alone on undo with restoreOnUndo: false", async () => {
    const store = new MemoryFlagStore({ Version: "v1" });
    const r = await runAction(flagSet, { name: "Version", value: "v2", restoreOnUndo: false }, ctxFor(store).ctx);
    await undoAction(
      flagSet,
      { name: "Version", value: "v2", restoreOnUndo: false },
      undoCtxFor(store, r.recorded!).ctx,
    );
    expect((await store.get("Version")).value).toBe("v2");
  });

  it("uses the named target and needs the flags capability there", async () => {
    const store = new MemoryFlagStore();
    const { ctx } = makeContext({
      providers: { appconfig: { capabilities: ["flags"], client: store }, app: { capabilities: ["app"], client: {} } },
    });
    await runAction(flagSet, { target: "appconfig", name: "A", value: 1 }, ctx);
    expect((await store.get("A")).value).toBe(1);
    await expect(runAction(flagSet, { target: "app", name: "A", value: 1 }, ctx)).rejects.toThrow(/capability/);
    expect(flagSet.provider).toEqual({ capability: "flags", defaultTarget: "flags" });
  });

  it("works against the file-backed flag store, crash and undo included", async () => {
    const store = new FileFlagStore(path.join(dir, "flags.json"));
    await store.set("MaintenanceMode", false);
    const crashing: FlagStore = {
      get: (n, o) => store.get(n, o),
      set: async (n, v, o) => {
        await store.set(n, v, o);
        throw new Error("process killed");
      },
      delete: (n, o) => store.delete(n, o),
    };
    const first = ctxFor(crashing);
    await expect(runAction(flagSet, { name: "MaintenanceMode", value: true }, first.ctx)).rejects.toThrow(
      "process killed",
    );

    const r = await runAction(
      flagSet,
      { name: "MaintenanceMode", value: true },
      ctxFor(store, { priorCheckpoint: first.seen.checkpoints.at(-1) }).ctx,
    );
    expect(r.recorded).toMatchObject({ existed: true, previous: false, value: true });
    expect((await new FileFlagStore(path.join(dir, "flags.json")).get("MaintenanceMode")).value).toBe(true);

    await undoAction(flagSet, { name: "MaintenanceMode", value: true }, undoCtxFor(store, r.recorded!).ctx);
    expect((await store.get("MaintenanceMode")).value).toBe(false);

    const created = await runAction(flagSet, { name: "Fresh", value: "x" }, ctxFor(store).ctx);
    await undoAction(flagSet, { name: "Fresh", value: "x" }, undoCtxFor(store, created.recorded!).ctx);
    expect((await store.get("Fresh")).value).toBeUndefined();
  });
});
