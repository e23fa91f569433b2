/**
 * SIGKILL the real CLI right after each journal event in turn, then
 * `cutover resume`: every step that had completed before the kill ran exactly
 * once, the interrupted one converged, and the run finished.
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { foldRun } from "../../src/engine/reducer.js";
import { FileStore } from "../../src/providers/file/index.js";
import { jsonLines, runCli, startCli, tmpProject } from "../support/cli.js";

const STEPS = ["deploy", "warm", "flag", "migrate", "swap"];
// Each exec step appends its id to a ledger: the ledger counts real executions.
const playbook = `
version: 1
name: crash
steps:
${STEPS.map(
  (id) => `  - id: ${id}
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "require('fs').appendFileSync('ledger.txt', '${id}\\\\n')"] }`,
).join("\n")}
`;

/** Run until the n-th event is printed (durable by then), then SIGKILL. Returns the events seen. */
async function runAndKillAfter(dir: string, n: number): Promise<Record<string, unknown>[]> {
  const child = startCli(["run", "playbook.yaml", "-o", "json"], { cwd: dir }).child;
  let buf = "";
  const seen: Record<string, unknown>[] = [];
  await new Promise<void>((resolve) => {
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith("{")) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        if (typeof e.seq !== "number") continue;
        seen.push(e);
        if (seen.length === n) child.kill("SIGKILL");
      }
    });
    child.on("exit", () => resolve());
  });
  return seen;
}

describe("crash safety", () => {
  it("resumes after SIGKILL at every journal event with no completed step repeated", async () => {
    const total = 2 + STEPS.length * 2; // run.started, started+succeeded per step, run.finished
    for (let n = 1; n < total; n++) {
      const p = tmpProject({ "playbook.yaml": playbook });
      try {
        const seen = await runAndKillAfter(p.dir, n);
        expect(seen.length, `kill after event ${n}`).toBeGreaterThanOrEqual(n);
        const runId = seen[0]!.runId as string;
        const completedBeforeKill = new Set(
          seen.filter((e) => e.type === "step.succeeded").map((e) => e.stepId as string),
        );

        const r = runCli(["resume", runId, "-o", "json"], { cwd: p.dir });
        expect(r.code, `resume after kill at event ${n}: ${r.stderr}`).toBe(0);
        expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: "result", status: "succeeded" });

        const ledger = readFileSync(path.join(p.dir, "ledger.txt"), "utf8").trim().split("\n");
        for (const id of STEPS) {
          const times = ledger.filter((l) => l === id).length;
          if (completedBeforeKill.has(id)) expect(times, `${id} completed before the kill at event ${n}`).toBe(1);
          // The interrupted step may have run before the kill; it converged (ran again at most once).
          else expect(times, `${id} after kill at event ${n}`).toBeGreaterThanOrEqual(1);
          expect(times).toBeLessThanOrEqual(2);
        }
        // The journal on disk is whole and folds to a finished run.
        const state = foldRun(await new FileStore({ dir: path.join(p.dir, ".cutover") }).read(runId));
        expect(state.status).toBe("succeeded");
      } finally {
        p.cleanup();
      }
    }
  }, 300_000);

  it("a second run on a locked environment exits 4 naming the holder; a crashed holder is taken over", async () => {
    const p = tmpProject({
      "playbook.yaml": `
version: 1
name: lock
steps:
  - { id: gate, action: gate.approval }
  - { id: wait, action: wait.duration, with: { duration: 3s } }
`,
    });
    try {
      const first = runCli(["run", "playbook.yaml", "--approve", "gate", "-o", "json"], { cwd: p.dir, env: {} });
      expect(first.code).toBe(0);
      // Hold the lease with a long-running run, and race a second one against it.
      const holder = startCli(["run", "playbook.yaml", "--approve", "gate", "-o", "json"], { cwd: p.dir });
      await holder.waitFor((e) => e.type === "step.started");
      const second = runCli(["run", "playbook.yaml"], { cwd: p.dir });
      expect(second.code).toBe(4);
      expect(second.stderr).toMatch(/locked by .*pid \d+ run r\d/);
      expect(second.stderr).toContain(`pid ${holder.child.pid}`);
      holder.child.kill("SIGKILL");
      await holder.done;
      // The holder died on this host: the next command takes its lease over at once and journals it.
      const runs = jsonLines(runCli(["runs", "-o", "json"], { cwd: p.dir }).stdout);
      const crashed = runs.find((r) => r.lastEvent !== "run.finished")!.runId as string;
      const resumed = runCli(["resume", crashed, "-o", "json"], { cwd: p.dir });
      expect(resumed.code).toBe(0);
      expect(jsonLines(resumed.stdout).some((e) => e.type === "lease.forced")).toBe(true);
      expect(existsSync(path.join(p.dir, ".cutover"))).toBe(true);
    } finally {
      p.cleanup();
    }
  });
});
