/** The page's reader folds each run once and then reads only new events; refreshes at once must not apply twice. */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";
import { FileStore } from "../../src/providers/file/index.js";
import { RunReader } from "../../src/web/views.js";

const playbook = `
version: 1
name: web-views
steps:
  - id: first
    action: exec
    with: { command: ["node", "-e", "console.log('one')"] }
  - id: gate
    action: gate.approval
  - id: last
    action: exec
    with: { command: ["node", "-e", "console.log('two')"] }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "views.yaml": playbook });
});
afterAll(() => p.cleanup());

describe("RunReader", () => {
  it("two refreshes at once after new events show each event once", async () => {
    const r = runCli(["run", "views.yaml", "-o", "json"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(3);
    const runId = jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
    const store = new FileStore({ dir: path.join(p.dir, ".cutover") });
    const reader = new RunReader(store, process.env);
    const before = await reader.view(runId);
    expect(before.can).toMatchObject({ approve: "gate", abort: true });
    expect(before.state.status).toBe("paused");
    expect(runCli(["approve", runId], { cwd: p.dir }).code).toBe(0);
    const [a, b] = await Promise.all([reader.view(runId), reader.view(runId)]);
    const events = await store.read(runId);
    for (const v of [a, b]) {
      expect(v.state.status).toBe("succeeded");
      expect(v.state.lastSeq).toBe(events.at(-1)!.seq);
      expect(v.steps.map((s) => [s.id, s.attempts, s.action])).toEqual([
        ["first", 1, "exec"],
        ["gate", 1, "gate.approval"],
        ["last", 1, "exec"],
      ]);
      expect(v.timeline.filter((t) => t.text === "last succeeded")).toHaveLength(1);
      expect(v.can).toEqual({ abort: false });
    }
    const list = await reader.list();
    expect(list).toEqual([
      { environment: "web-views", runs: [expect.objectContaining({ runId, status: "succeeded" })] },
    ]);
  });
});
