/**
 * A long run's journal for the CLI benchmarks, written by the engine's own writer (Journal, file store) into
 * `<dir>/.cutover`: what `status`, `report` and their like read, built without running 10,000 steps.
 */
import os from "node:os";
import path from "node:path";
import type { RunEventBody } from "../../src/engine/events.js";
import { Journal } from "../../src/engine/journal.js";
import { FileStore } from "../../src/providers/file/index.js";

/** Who the bench's decisions are journaled as. */
export const BENCH_ACTOR = { user: "bench", host: os.hostname(), pid: process.pid };

/**
 * Start run `runId` of the playbook `file` (named `name`, environment `name`) with `stepIds` planned, append
 * `bodies`, and return the last seq. The writer group-commits what is appended while a write is in flight.
 */
export async function writeBenchJournal(
  dir: string,
  run: { runId: string; name: string; file: string; stepIds: string[] },
  bodies: RunEventBody[],
): Promise<number> {
  const journal = await Journal.create(new FileStore({ dir: path.join(dir, ".cutover") }), run.runId, {
    type: "run.started",
    playbook: { name: run.name, file: run.file, hash: "0".repeat(64) },
    environment: run.name,
    params: {},
    secretParams: [],
    steps: run.stepIds.map((id) => ({ id, stepId: id })),
    by: BENCH_ACTOR,
    cutoverVersion: "bench",
  });
  await Promise.all(bodies.map((b) => journal.append(b)));
  return journal.state.lastSeq;
}
