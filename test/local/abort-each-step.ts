/**
 * `cutover abort` at each step of the demo release, with traffic running:
 * the run is taken to a gate after the step (through the library API, which
 * the binary wraps, to spare a process start), then aborted with the real
 * `cutover abort`. Each abort must leave blue serving v1 on the v1 schema,
 * read-only mode lifted and green stopped. Split over two test files so the
 * two halves run in parallel.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drive, startRun } from "../../src/api/run.js";
import { LocalClient } from "../../src/providers/local/client.js";
import { localUp } from "../../src/providers/local/lifecycle.js";
import { LoadGenerator, type LoadReport } from "../../bench/local/loadgen.js";
import { CLI, cutover, demoPlaybook } from "./cli.js";
import { destroyLocal, ensureBuilt, tempDir } from "./env.js";

const roots: string[] = [];
function newStateDir(): string {
  const d = tempDir("e2e");
  roots.push(d);
  return d;
}

beforeAll(() => {
  ensureBuilt();
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
});
afterAll(async () => {
  for (const d of roots) await destroyLocal(path.join(d, "local"));
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

async function startEnvironment(stateDir: string) {
  const { status } = await localUp({ dir: path.join(stateDir, "local") });
  const load = new LoadGenerator({ url: status.publicUrl, keepAliveWorkers: 3, freshWorkers: 1, writeRatio: 0.2, maxRequests: 500_000, maxDurationMs: 60_000, pauseMs: 2 }).start();
  return { status, load, client: new LocalClient({ dir: path.join(stateDir, "local") }) };
}

function expectReadsNeverFailed(report: LoadReport): void {
  expect(report.total).toBeGreaterThan(100);
  expect(report.connectionErrors).toEqual([]);
  expect(report.samples.filter((s) => s.kind === "read" && s.status !== 200)).toEqual([]);
  // Writes were either accepted or refused for maintenance, nothing else.
  expect(report.samples.filter((s) => s.kind === "write" && s.status !== 201 && s.status !== 503)).toEqual([]);
}

function schemaVersion(stateDir: string): number {
  const db = new Database(path.join(stateDir, "local", "demo.sqlite"), { readonly: true });
  try {
    return db.pragma("user_version", { simple: true }) as number;
  } finally {
    db.close();
  }
}


export function abortAtEachStep(steps: string[]): void {
  describe(`cutover abort after ${steps.join(", ")}`, () => {
    it("leaves blue serving v1 on the v1 schema each time, and reads never fail", async () => {
      const stateDir = newStateDir();
      const { status, load, client } = await startEnvironment(stateDir);
      for (const step of steps) {
        const held = await drive(await startRun(demoPlaybook(stateDir, { holdAfter: step }), { stateDir, params: { grace: "0s" } }));
        expect(held.status, `run held after ${step}`).toBe("paused");
        const abort = cutover(stateDir, ["abort", held.runId, "--reason", `test: abort after ${step}`]);
        expect(await abort.done, `abort after ${step}`).toBe(1);
        expect(abort.events.find((e) => e.type === "run.finished")?.outcome).toBe("aborted");

        const now = await client.status();
        expect(now.live, `live after aborting at ${step}`).toBe("blue");
        expect(now.slots.blue, `blue after aborting at ${step}`).toMatchObject({ version: "v1", health: "healthy", running: true });
        expect(now.slots.green.running, `green after aborting at ${step}`).toBe(false);
        expect(now.flags.MaintenanceMode, `maintenance after aborting at ${step}`).toBeUndefined();
        expect(schemaVersion(stateDir), `schema after aborting at ${step}`).toBe(1);
        expect(await (await fetch(`${status.publicUrl}/version`)).json()).toEqual({ version: "v1", slot: "blue" });
      }
      expectReadsNeverFailed(await load.stop());
    });
  });
}
