/** `cutover status` with no run id takes the newest run; the file store finds it from the ids when it can. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/engine/journal.js";
import { FileRunStore } from "../../src/providers/file/run-store.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function storeWith(runs: { id: string; at: string }[]): Promise<FileRunStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-newest-"));
  dirs.push(dir);
  const store = new FileRunStore({ dir, clock: () => new Date() });
  for (const { id, at } of runs) {
    await Journal.create(new FileRunStore({ dir, clock: () => new Date(at) }), id, {
      type: "run.started",
      playbook: { name: "p", file: "/p.yaml", hash: "0".repeat(64) },
      environment: "env",
      params: {},
      secretParams: [],
      steps: [{ id: "a", stepId: "a" }],
      by: { user: "t", host: "h", pid: 1 },
      cutoverVersion: "test",
    });
  }
  return store;
}

describe("FileRunStore.newestRunId", () => {
  it("is the newest run by its id, as listRuns orders them, skipping a journal still being created", async () => {
    const store = await storeWith([
      { id: "r20261206-100000-aaaaaa", at: "2026-12-06T10:00:00.000Z" },
      { id: "r20261206-120000-bbbbbb", at: "2026-12-06T12:00:00.000Z" },
      { id: "r20261206-110000-cccccc", at: "2026-12-06T11:00:00.000Z" },
    ]);
    expect(await store.newestRunId()).toBe("r20261206-120000-bbbbbb");
    expect(await store.newestRunId()).toBe((await store.listRuns({ limit: 1 }))[0]!.runId);
    fs.writeFileSync(path.join(store.runsDir, "r20261206-130000-dddddd.jsonl"), ""); // being created
    expect(await store.newestRunId()).toBe("r20261206-120000-bbbbbb");
  });

  it("asks the journals when a name is not an id cutover makes (a run imported under another id)", async () => {
    const store = await storeWith([
      { id: "r20261206-100000-aaaaaa", at: "2026-12-06T10:00:00.000Z" },
      { id: "imported-run", at: "2026-12-06T15:00:00.000Z" },
    ]);
    expect(await store.newestRunId()).toBe("imported-run");
  });

  it("is undefined for a state directory without runs", async () => {
    expect(await (await storeWith([])).newestRunId()).toBeUndefined();
  });
});
