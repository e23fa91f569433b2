/**
 * `cutover status` of a 10,000-event run, as on-call types it: a separate CLI process each time (Node start,
 * imports, reading and checking the journal, folding it, loading the playbook for the abort preview, printing).
 * The journal is written by the engine's own writer (Journal, file store) into a temp state directory: 200
 * steps, each started, checkpointed 48 times (a long operation's poller) and succeeded with an effect, then a
 * gate the run waits at.
 *
 *   npm run build:bench && node dist/bench/engine/status.js   (RUNS=n invocations; KEEP=1 keeps the state directory)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RunEventBody } from "../../src/engine/events.js";
import { machine, median, quantile } from "../local/common.js";
import { writeBenchJournal } from "./bench-journal.js";
import { BIN, runCli, timeCli, timeNode, type Timing } from "./cli-timing.js";
import { abortPreview, readRun, tryLoad } from "../../src/api/inspect.js";
import { readRunView } from "../../src/api/run-view.js";

const RUNS = Number(process.env.RUNS ?? 21);
const STEPS = 200;
const CHECKPOINTS = 48;
const RUN_ID = "r20261206-000000-0be4c0";

function playbook(): string {
  const steps = Array.from({ length: STEPS }, (_, i) =>
    i % 2
      ? `  - id: flag-${i}\n    action: flag.set\n    with: { name: Flag${i}, value: ${i} }`
      : `  - id: wait-${i}\n    action: wait.duration\n    with: { duration: 1ms }`,
  );
  return [
    "version: 1",
    "name: bench-status",
    "environment:",
    "  flags: { provider: file }",
    "steps:",
    ...steps,
    "  - id: approve",
    "    action: gate.approval",
    '    with: { message: "Swap?" }',
    "",
  ].join("\n");
}

async function writeJournal(dir: string, file: string): Promise<number> {
  const ids = [...Array.from({ length: STEPS }, (_, i) => (i % 2 ? `flag-${i}` : `wait-${i}`)), "approve"];
  const bodies: RunEventBody[] = [];
  for (const id of ids.slice(0, -1)) {
    bodies.push({ type: "step.started", stepId: id, attempt: 1 });
    for (let k = 0; k < CHECKPOINTS; k++)
      bodies.push({ type: "step.checkpoint", stepId: id, attempt: 1, data: { polled: k, operation: `op-${id}` } });
    bodies.push({
      type: "step.succeeded",
      stepId: id,
      attempt: 1,
      outputs: { changed: true },
      recorded: id.startsWith("flag") ? { name: id, existed: false, previous: null, value: 1 } : null,
      durationMs: 5,
      effect: id.startsWith("flag") ? `${id} (absent) → 1` : undefined,
    });
  }
  bodies.push({
    type: "run.paused",
    reason: "approval",
    stepId: "approve",
    message: "approve waits for approval: Swap?",
  });
  return writeBenchJournal(dir, { runId: RUN_ID, name: "bench-status", file, stepIds: ids }, bodies);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-status-"));
try {
  const file = path.join(dir, "playbook.yaml");
  fs.writeFileSync(file, playbook());
  const events = await writeJournal(dir, file);
  const first = runCli(["status", RUN_ID], dir);
  if (first.status !== 0 || !first.stdout.includes("PAUSED at approve"))
    throw new Error(`status failed (${first.status}): ${first.stderr}${first.stdout.slice(0, 500)}`);
  const figures: Record<string, Timing[]> = { node: [], version: [], status: [], json: [], cold: [] };
  const cache = path.join(dir, ".cutover", "cache");
  for (let i = 0; i < RUNS; i++) {
    figures.node!.push(timeNode(dir));
    figures.version!.push(timeCli(["--version"], dir));
    figures.status!.push(timeCli(["status", RUN_ID], dir));
    figures.json!.push(timeCli(["status", RUN_ID, "-o", "json"], dir));
    // Cold: no cache (a run written by another machine, or by a cutover older than the cache): the journal is
    // folded from the start and the playbook validated; the cache is written for the next look.
    fs.rmSync(cache, { recursive: true, force: true });
    figures.cold!.push(timeCli(["status", RUN_ID], dir));
  }
  const f = (ts: Timing[]) => {
    const wall = ts.map((t) => t.wallMs);
    const cpu = ts.map((t) => t.cpuMs);
    return (
      `wall median ${median(wall).toFixed(0)} ms (p90 ${quantile(wall, 0.9).toFixed(0)}, best ` +
      `${Math.min(...wall).toFixed(0)}); CPU median ${median(cpu).toFixed(0)} ms`
    );
  };
  // The same work in this process (imports already paid): where the time beyond the CLI's start goes.
  const parts: Record<string, number[]> = { read: [], playbook: [], preview: [], view: [] };
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const { state } = await readRun(RUN_ID, { stateDir: path.join(dir, ".cutover") });
    parts.read!.push(performance.now() - t);
    t = performance.now();
    const loaded = tryLoad(file);
    parts.playbook!.push(performance.now() - t);
    t = performance.now();
    abortPreview(state, loaded);
    parts.preview!.push(performance.now() - t);
    t = performance.now();
    await readRunView(RUN_ID, { stateDir: path.join(dir, ".cutover") });
    parts.view!.push(performance.now() - t);
  }
  const size = fs.statSync(path.join(dir, ".cutover/runs", `${RUN_ID}.jsonl`)).size;
  console.log(`machine: ${machine()}`);
  console.log(`journal: ${events} events, ${(size / 1e6).toFixed(1)} MB; ${RUNS} invocations of each`);
  console.log(`node -e "" (process floor)         ${f(figures.node!)}`);
  console.log(`cutover --version (CLI start)      ${f(figures.version!)}`);
  console.log(`cutover status <run> (10k events)  ${f(figures.status!)}   target: wall ≤ 100 ms median`);
  console.log(`cutover status <run> -o json       ${f(figures.json!)}`);
  console.log(`cutover status <run>, cold cache   ${f(figures.cold!)}`);
  const m = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
  console.log(
    `in one process, median: read + check + fold the journal ${m(parts.read!)}, read + validate the ` +
      `${STEPS + 1}-step playbook ${m(parts.playbook!)}, abort preview ${m(parts.preview!)}; ` +
      `the same from the run's cache (api/run-view.ts) ${m(parts.view!)}`,
  );
} finally {
  if (process.env.KEEP) console.log(`kept ${dir} (profile: node --cpu-prof ${BIN} status ${RUN_ID}, there)`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
