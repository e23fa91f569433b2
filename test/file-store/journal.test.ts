import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/core/errors.js";
import { FileStore } from "../../src/providers/file/index.js";
import { expectCode, startedEvent, stepStarted } from "../store-contract.js";
import { tempStore } from "./helpers.js";

let store: FileStore;
let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

async function twoEvents(runId: string): Promise<string> {
  await store.append(runId, [startedEvent("prod"), stepStarted("deploy")], 0);
  return store.journalFile(runId);
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

describe("file journal layout", () => {
  it("writes one JSON line per event in <dir>/runs/<runId>.jsonl, ending in a newline", async () => {
    const file = await twoEvents("r1");
    expect(file).toBe(path.join(root, ".cutover", "runs", "r1.jsonl"));
    const text = await readFile(file, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const parsed = lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((e) => [e.seq, e.runId, e.type])).toEqual([
      [1, "r1", "run.started"],
      [2, "r1", "step.started"],
    ]);
  });

  it("creates directories 0700 and files 0600", async () => {
    const file = await twoEvents("r1");
    const lease = await store.acquireLease({ environment: "prod", holder: "me", ttlMs: 60_000 });
    await store.set("MaintenanceMode", true);
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    for (const d of ["", "runs", "leases", "locks"]) expect(await mode(path.join(root, ".cutover", d))).toBe(0o700);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(path.join(root, ".cutover", "leases", "prod.json"))).toBe(0o600);
    expect(await mode(path.join(root, ".cutover", "flags.json"))).toBe(0o600);
    await store.releaseLease(lease);
  });

  it("rejects run ids and environment names that are not safe file names", async () => {
    for (const bad of ["../escape", "a/b", "..", ".hidden", "", "x".repeat(129), "sp ace", "nul\0"]) {
      await expectCode(store.append(bad, [startedEvent("prod")], 0), ErrorCode.Usage);
      await expectCode(store.read(bad), ErrorCode.Usage);
      await expectCode(store.acquireLease({ environment: bad, holder: "me", ttlMs: 1_000 }), ErrorCode.Config);
      await expectCode(store.readLease(bad), ErrorCode.Config);
    }
    await expectCode(
      store.append("ok", [startedEvent("prod")], 0, { environment: "../x", token: 1 }),
      ErrorCode.Config,
    );
    expect(await store.listRuns()).toEqual([]);
  });
});

describe("torn last line", () => {
  it("ignores a partial last line without newline, and the next append cuts it away", async () => {
    const file = await twoEvents("r1");
    await appendFile(file, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","runId":"r1","type":"step.succ');
    expect((await store.read("r1")).map((e) => e.seq)).toEqual([1, 2]);
    const fresh = new FileStore({ dir: store.dir }); // no cached tail: must read the file
    const [e] = await fresh.append("r1", [stepStarted("verify")], 2);
    expect(e?.seq).toBe(3);
    const text = await readFile(file, "utf8");
    expect(text).not.toContain("step.succ");
    expect(lines(text).map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3]);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("treats a complete-looking last line without its newline as not yet written", async () => {
    const file = await twoEvents("r1");
    await appendFile(
      file,
      JSON.stringify({
        seq: 3,
        at: new Date().toISOString(),
        runId: "r1",
        type: "step.started",
        stepId: "x",
        attempt: 1,
      }),
    );
    expect(await store.read("r1")).toHaveLength(2);
    await expectCode(store.append("r1", [stepStarted("y")], 3), ErrorCode.JournalConflict);
    expect((await store.append("r1", [stepStarted("y")], 2))[0]?.seq).toBe(3);
    expect(await store.read("r1")).toHaveLength(3);
  });

  it("ignores a garbage last line that ends in a newline (e.g. zero-filled after a crash)", async () => {
    const file = await twoEvents("r1");
    await appendFile(file, "\0\0\0\0\0\n");
    expect(await store.read("r1")).toHaveLength(2);
    await new FileStore({ dir: store.dir }).append("r1", [stepStarted("z")], 2);
    expect((await store.read("r1")).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("treats a journal holding only a torn line as no run yet", async () => {
    const file = store.journalFile("r2");
    await store.append("seed", [startedEvent("prod")], 0); // creates the directories
    await writeFile(file, '{"seq":1,"at":', { mode: 0o600 });
    await expectCode(store.read("r2"), ErrorCode.RunNotFound);
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(["seed"]);
    expect((await store.append("r2", [startedEvent("prod")], 0))[0]?.seq).toBe(1);
    expect(await store.read("r2")).toHaveLength(1);
  });
});

describe("damage in the middle", () => {
  it("reports an invalid line followed by valid ones as JOURNAL_CORRUPT naming file and line", async () => {
    const file = await twoEvents("r1");
    await store.append("r1", [stepStarted("verify")], 2);
    const text = lines(await readFile(file, "utf8"));
    await writeFile(file, [text[0], "{not json", text[1], text[2]].join("\n") + "\n");
    const e = await expectCode(store.read("r1"), ErrorCode.JournalCorrupt);
    expect(e.message).toContain(file);
    expect(e.message).toContain("line 2");
    // An appender must not paper over it either.
    await expectCode(new FileStore({ dir: store.dir }).append("r1", [stepStarted("x")], 3), ErrorCode.JournalCorrupt);
  });

  it("reports a gap in the sequence numbers as JOURNAL_CORRUPT", async () => {
    const file = await twoEvents("r1");
    await store.append("r1", [stepStarted("verify")], 2);
    const text = lines(await readFile(file, "utf8"));
    await writeFile(file, [text[0], text[2]].join("\n") + "\n");
    const e = await expectCode(store.read("r1"), ErrorCode.JournalCorrupt);
    expect(e.message).toMatch(/line 2: seq 3 where 2 was expected/);
  });

  it("reports a duplicated seq and a foreign run's event as JOURNAL_CORRUPT", async () => {
    const file = await twoEvents("r1");
    const text = lines(await readFile(file, "utf8"));
    await writeFile(file, [text[0], text[1], text[1]].join("\n") + "\n");
    await expectCode(store.read("r1"), ErrorCode.JournalCorrupt);
    const foreign = text[1]!.replace('"runId":"r1"', '"runId":"other"');
    await writeFile(file, [text[0], foreign].join("\n") + "\n");
    expect((await expectCode(store.read("r1"), ErrorCode.JournalCorrupt)).message).toContain("other");
  });
});

describe("append cache", () => {
  it("notices appends by another store instance (another process) before appending", async () => {
    await twoEvents("r1");
    const other = new FileStore({ dir: store.dir });
    await other.append("r1", [stepStarted("by-other")], 2);
    await expectCode(store.append("r1", [stepStarted("by-me")], 2), ErrorCode.JournalConflict);
    expect((await store.append("r1", [stepStarted("by-me")], 3))[0]?.seq).toBe(4);
    expect((await other.read("r1")).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("an empty append checks the seq and writes nothing", async () => {
    await twoEvents("r1");
    expect(await store.append("r1", [], 2)).toEqual([]);
    await expectCode(store.append("r1", [], 1), ErrorCode.JournalConflict);
    expect(await store.append("new-run", [], 0)).toEqual([]);
    await expectCode(store.read("new-run"), ErrorCode.RunNotFound);
  });

  it("reads a 10,000-event journal written in batches", async () => {
    await store.append("big", [startedEvent("prod")], 0);
    let seq = 1;
    const batch = Array.from({ length: 500 }, (_, i) => stepStarted(`s${i}`));
    while (seq < 10_000) {
      const n = Math.min(batch.length, 10_000 - seq);
      await store.append("big", batch.slice(0, n), seq);
      seq += n;
    }
    const events = await store.read("big");
    expect(events).toHaveLength(10_000);
    expect(events.at(-1)?.seq).toBe(10_000);
    expect(await store.read("big", 9_998)).toHaveLength(2);
  });
});

describe("listRuns on the file store", () => {
  it("summarises from the first and last intact lines, ignoring a torn tail", async () => {
    const file = await twoEvents("r1");
    await appendFile(file, '{"seq":3,"type":"run.fin');
    const [summary] = await store.listRuns();
    expect(summary).toMatchObject({ runId: "r1", environment: "prod", lastEvent: "step.started" });
  });

  it("handles a first event larger than the head chunk and a journal longer than the tail chunk", async () => {
    const steps = [
      { id: "s", stepId: "s" },
      ...Array.from({ length: 2_000 }, (_, i) => ({ id: `step-${i}`, stepId: `step-${i}` })),
    ];
    const huge = { ...startedEvent("prod"), steps };
    await store.append("big", [huge as never], 0);
    const pad = "y".repeat(20_000);
    const checkpoints = Array.from({ length: 10 }, (_, i) => ({
      type: "step.checkpoint" as const,
      stepId: "s",
      attempt: i,
      data: { pad },
    }));
    await store.append("big", checkpoints, 1);
    // a torn line longer than a chunk boundary allows
    await appendFile(store.journalFile("big"), `{"seq":12,"pad":"${pad}`);
    const [summary] = await store.listRuns();
    expect(summary).toMatchObject({ runId: "big", playbook: "contract-demo", lastEvent: "step.checkpoint" });
    expect(await store.read("big")).toHaveLength(11);
  });

  it("refuses to start a journal with anything but run.started, and lists such a journal as damaged", async () => {
    await twoEvents("r1");
    await expectCode(store.append("odd", [stepStarted("x")], 0), ErrorCode.Internal);
    const line = JSON.stringify({
      seq: 1,
      at: new Date().toISOString(),
      runId: "odd",
      type: "step.started",
      stepId: "x",
      attempt: 1,
    });
    await writeFile(store.journalFile("odd"), line + "\n");
    await writeFile(path.join(store.runsDir, "notes.txt"), "hello");
    await writeFile(path.join(store.runsDir, ".hidden.jsonl"), "");
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.runId, r.lastEvent]).sort()).toEqual([
      ["odd", "damaged"],
      ["r1", "step.started"],
    ]);
    await expectCode(store.read("odd"), ErrorCode.JournalCorrupt);
  });

  it("refuses to append an event its reader would refuse, writing nothing", async () => {
    await twoEvents("r1");
    const bad = [
      { type: "step.started", stepId: "deploy" },
      { type: "step.teleported", stepId: "deploy" },
      { type: "run.started" },
    ];
    for (const body of bad) await expectCode(store.append("r1", [body as never], 2), ErrorCode.Internal);
    expect(await store.read("r1")).toHaveLength(2);
  });
});
