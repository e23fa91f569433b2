/**
 * Real signals to the real CLI: a first SIGTERM/SIGINT finishes
 * the step and checkpoints (exit 130); a second cancels it.
 */
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, startCli, tmpProject } from "../support/cli.js";

const playbook =
  `
version: 1
name: signals
steps:
  - { id: slow, action: exec, resume: rerun, with: { command: ["node", "-e", "setTimeout(() => console.log('slow ` +
  `done'), 1500)"] } }
  - { id: next, action: exec, resume: rerun, with: { command: ["node", "-e", "console.log('next')"] } }
`;

async function runUntilStarted(dir: string) {
  const run = startCli(["run", "playbook.yaml", "-o", "json"], { cwd: dir });
  await run.waitFor((e) => e.type === "step.checkpoint" && e.stepId === "slow"); // its process is running
  return { run, child: run.child, exit: run.done.then((r) => r.code), output: run.stdout };
}

describe("signals", () => {
  it("first SIGTERM: the running step finishes, the run checkpoints and exits 130; resume completes it", async () => {
    const p = tmpProject({ "playbook.yaml": playbook });
    try {
      const { child, exit, output } = await runUntilStarted(p.dir);
      child.kill("SIGTERM");
      expect(await exit).toBe(130);
      const events = jsonLines(output());
      expect(events.find((e) => e.type === "step.succeeded" && e.stepId === "slow")).toBeDefined();
      expect(events.find((e) => e.type === "step.started" && e.stepId === "next")).toBeUndefined();
      expect(events.find((e) => e.type === "run.interrupted")).toMatchObject({ signal: "SIGTERM" });
      const runId = events[0]!.runId as string;
      const r = runCli(["resume", runId, "-o", "json"], { cwd: p.dir });
      expect(r.code).toBe(0);
      const resumed = jsonLines(r.stdout);
      expect(resumed.filter((e) => e.type === "step.started").map((e) => e.stepId)).toEqual(["next"]);
    } finally {
      p.cleanup();
    }
  });

  it("second SIGINT cancels the running step through its AbortSignal; exit 130, resumable", async () => {
    const p = tmpProject({ "playbook.yaml": playbook });
    try {
      const { run, child, exit, output } = await runUntilStarted(p.dir);
      child.kill("SIGINT");
      await run.waitFor((e) => e.type === "notice"); // the first SIGINT was handled
      child.kill("SIGINT");
      expect(await exit).toBe(130);
      const events = jsonLines(output());
      expect(events.find((e) => e.type === "step.failed" && e.stepId === "slow")).toMatchObject({
        error: { code: "CANCELLED" },
      });
      const runId = events[0]!.runId as string;
      const r = runCli(["resume", runId, "-o", "json"], { cwd: p.dir });
      expect(r.code).toBe(0);
      expect(
        jsonLines(r.stdout)
          .filter((e) => e.type === "step.succeeded")
          .map((e) => e.stepId),
      ).toEqual(["slow", "next"]);
    } finally {
      p.cleanup();
    }
  });

  it("status --watch follows a run from another process and exits with the run's code", async () => {
    const p = tmpProject({ "playbook.yaml": playbook });
    try {
      const { exit, output } = await runUntilStarted(p.dir);
      const runId = jsonLines(output())[0]!.runId as string;
      const watcher = startCli(["status", runId, "--watch", "-o", "json"], { cwd: p.dir }).child;
      let seen = "";
      watcher.stdout!.on("data", (d: Buffer) => (seen += d.toString()));
      const code = await new Promise<number | null>((resolve) => watcher.on("exit", (c) => resolve(c)));
      expect(await exit).toBe(0);
      expect(code).toBe(0);
      const events = jsonLines(seen);
      expect(events.filter((e) => e.type === "step.succeeded").map((e) => e.stepId)).toEqual(["slow", "next"]);
      expect(events.at(-2)).toMatchObject({ type: "run.finished", outcome: "succeeded" });
      expect(events.at(-1)).toMatchObject({ type: "result", runId, status: "succeeded", exitCode: 0 });
    } finally {
      p.cleanup();
    }
  });
});
