/**
 * From `cutover resume <run>` being started to its first side effect: the time a person (or a pipeline's next
 * stage) waits before anything happens. Each round: a fresh state directory, `run --until first` (not measured)
 * leaves the run resumable before `touch-marker`, an exec step that creates a file; then `resume` is spawned and
 * the clock stops when the file appears (fs.watch on its directory, checked again by polling).
 * Measured in it: Node's start, the CLI's imports, reading and validating the playbook, preflight, the lease, the
 * journal read and fold, two journal appends (each fsync'd: run.resumed, step.started) and the child's spawn.
 *
 *   npm run build:bench && node dist/bench/engine/resume-start.js      (RUNS=n rounds)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { machine, median, quantile } from "../local/common.js";
import { runCli, startCli, timeCli } from "./cli-timing.js";

const RUNS = Number(process.env.RUNS ?? 21);

const playbook = `version: 1
name: bench-resume
steps:
  - id: first
    action: exec
    with: { command: ["true"] }
  - id: touch-marker
    action: exec
    with: { command: ["touch", "marker"] }
  - id: last
    action: exec
    with: { command: ["true"] }
`;

/** A fresh state directory with a run stopped after `first` (not measured). */
function resumable(): { dir: string; runId: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-bench-resume-"));
  fs.writeFileSync(path.join(dir, "playbook.yaml"), playbook);
  const run = runCli(["run", "playbook.yaml", "--until", "first", "-o", "json"], dir);
  const runId = (JSON.parse(run.stdout.split("\n")[0]!) as { runId?: string }).runId;
  if (!runId || fs.existsSync(path.join(dir, "marker")))
    throw new Error(`run --until first did not leave a resumable run (${run.status}): ${run.stderr}`);
  return { dir, runId };
}

/** ms from spawning `resume` to `marker` existing in `dir`, and the process's exit code. */
async function round(): Promise<{ ms: number; code: number | null }> {
  const { dir, runId } = resumable();
  try {
    const marker = path.join(dir, "marker");
    let seen: number | undefined;
    let stop = () => undefined as void;
    const found = new Promise<void>((resolve) => {
      const check = () => {
        if (seen === undefined && fs.existsSync(marker)) {
          seen = performance.now();
          resolve();
        }
      };
      const watcher = fs.watch(dir, check);
      const poll = setInterval(check, 2);
      stop = () => (watcher.close(), clearInterval(poll));
    });
    const t0 = performance.now();
    const child = startCli(["resume", runId], dir);
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await found;
    stop();
    return { ms: seen! - t0, code: await exited };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const times: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await round();
  if (r.code !== 0) throw new Error(`resume exited ${r.code}`);
  times.push(r.ms);
  // The CPU the whole resume costs (to its exit, past the side effect): what a loaded machine cannot hide.
  const { dir, runId } = resumable();
  cpu.push(timeCli(["resume", runId], dir).cpuMs);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`machine: ${machine()}`);
console.log(
  `cutover resume: spawn → first side effect (a file created by an exec step): median ${median(times).toFixed(0)} ms ` +
    `(p90 ${quantile(times, 0.9).toFixed(0)}, best ${Math.min(...times).toFixed(0)}) over ${RUNS} rounds; ` +
    `target ≤ 400 ms median`,
);
console.log(`cutover resume, whole process (3 steps, to exit): CPU median ${median(cpu).toFixed(0)} ms`);
