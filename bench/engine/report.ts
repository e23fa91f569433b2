/**
 * `cutover report` of a 10,000-event run, each format, as a reviewer types it: a separate CLI process each time
 * (Node start, imports, reading and checking the journal, building the model, rendering). The journal is written
 * by the engine's own writer (Journal, file store): 200 steps, each started, checkpointed 48 times (a long
 * operation's poller) and succeeded, every tenth after a failed attempt and its retry; then a gate the run waited
 * at, approved.
 *
 *   npm run build:bench && node dist/bench/engine/report.js      (RUNS=n to change the number of invocations)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunEventBody } from "../../src/engine/events.js";
import { machine, median, quantile } from "../local/common.js";
import { BENCH_ACTOR, writeBenchJournal } from "./bench-journal.js";
import { runCli, timeCli, type Timing } from "./cli-timing.js";

const RUNS = Number(process.env.RUNS ?? 11);
const STEPS = 200;
const CHECKPOINTS = 48;
const RUN_ID = "r20261206-000000-4e9047";

async function writeJournal(dir: string, file: string): Promise<number> {
  const ids = [...Array.from({ length: STEPS }, (_, i) => `step-${i}`), "approve"];
  const by = BENCH_ACTOR;
  const bodies: RunEventBody[] = [];
  ids.slice(0, -1).forEach((id, i) => {
    if (i % 10 === 0) {
      bodies.push({ type: "step.started", stepId: id, attempt: 1 });
      const error = { code: "STEP_FAILED", message: "exit 1" };
      bodies.push({ type: "step.failed", stepId: id, attempt: 1, error, durationMs: 3, retryInMs: 1 });
    }
    const attempt = i % 10 === 0 ? 2 : 1;
    bodies.push({ type: "step.started", stepId: id, attempt });
    for (let k = 0; k < CHECKPOINTS; k++)
      bodies.push({ type: "step.checkpoint", stepId: id, attempt, data: { polled: k, operation: `op-${id}` } });
    bodies.push({ type: "step.succeeded", stepId: id, attempt, outputs: {}, recorded: null, durationMs: 5 });
  });
  bodies.push({ type: "run.paused", reason: "approval", stepId: "approve", message: "approve waits: Swap?" });
  bodies.push({ type: "gate.approved", stepId: "approve", by, note: "bench" });
  bodies.push({ type: "run.resumed", by });
  bodies.push({ type: "step.started", stepId: "approve", attempt: 1 });
  bodies.push({ type: "step.succeeded", stepId: "approve", attempt: 1, outputs: {}, recorded: null, durationMs: 0 });
  bodies.push({ type: "run.finished", outcome: "succeeded" });
  return writeBenchJournal(dir, { runId: RUN_ID, name: "bench-report", file, stepIds: ids }, bodies);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-report-"));
try {
  const file = path.join(dir, "playbook.yaml");
  fs.writeFileSync(
    file,
    "version: 1\nname: bench-report\nsteps:\n  - id: x\n    action: wait.duration\n    with: { duration: 1ms }\n",
  );
  const events = await writeJournal(dir, file);
  const first = runCli(["report", RUN_ID], dir);
  if (first.status !== 0 || !first.stdout.includes("## Waits"))
    throw new Error(`report failed (${first.status}): ${first.stderr}${first.stdout.slice(0, 500)}`);
  const cases: Record<string, string[]> = {
    "cutover --version (CLI start)": ["--version"],
    "cutover report --format md  ": ["report", RUN_ID, "--format", "md"],
    "cutover report --format html": ["report", RUN_ID, "--format", "html"],
    "cutover report --format json": ["report", RUN_ID, "--format", "json"],
  };
  const times = new Map(Object.keys(cases).map((k) => [k, [] as Timing[]]));
  for (let i = 0; i < RUNS; i++)
    for (const [name, args] of Object.entries(cases)) times.get(name)!.push(timeCli(args, dir));
  const f = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (p90 ${quantile(xs, 0.9).toFixed(0)})`;
  console.log(`machine: ${machine()}`);
  console.log(
    `journal: ${events} events; ${RUNS} invocations each; wall clock, and CPU (user + system) of the process`,
  );
  for (const [name, ts] of times)
    console.log(`${name}: wall ${f(ts.map((t) => t.wallMs))}; CPU ${f(ts.map((t) => t.cpuMs))}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
