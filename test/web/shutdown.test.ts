/**
 * Stopping `cutover serve` while it drives a run (after an approval on the page): the step under way finishes
 * and checkpoints, the server exits 130, and `cutover resume` carries the run on from there.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, tmpProject } from "../support/cli.js";
import { waitFor } from "../support/processes.js";
import { startServe } from "./serve-process.js";

const playbook = `
version: 1
name: web-stop
steps:
  - id: ok
    action: gate.approval
  - id: slow
    action: exec
    resume: rerun
    with: { command: ["node", "slow.js"] }
  - id: last
    action: exec
    with: { command: ["node", "-e", "console.log('last')"] }
`;

// Says it started, then works until the test lets it finish (the file \`go\`).
const slow = `const fs = require("fs");
fs.writeFileSync("started", "");
const t = setInterval(() => fs.existsSync("go") && (clearInterval(t), console.log("done")), 20);
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "stop.yaml": playbook, "slow.js": slow });
});
afterAll(() => p.cleanup());

describe("stopping cutover serve mid-drive", () => {
  it("finishes the current step, exits 130, and the run resumes from there", async () => {
    const r = runCli(["run", "stop.yaml", "-o", "json"], { cwd: p.dir });
    expect(r.code, r.stderr).toBe(3);
    const runId = jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
    const served = await startServe(p.dir);
    const res = await fetch(new URL(`/api/runs/${runId}/decisions`, served.url), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
      body: JSON.stringify({ decision: "approve", stepId: "ok" }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => fs.existsSync(path.join(p.dir, "started")), 30_000);
    served.proc.child.kill("SIGTERM");
    await served.proc.waitForOutput("SIGTERM: stopping");
    fs.writeFileSync(path.join(p.dir, "go"), "");
    expect((await served.proc.done).code).toBe(130);
    const st = jsonLines(runCli(["status", runId, "-o", "json"], { cwd: p.dir }).stdout)[0] as {
      state: { status: string; steps: Record<string, { status: string }> };
    };
    expect(st.state.steps.slow!.status).toBe("succeeded");
    expect(st.state.steps.last!.status).toBe("pending");
    expect(st.state.status).toBe("interrupted");
    const resumed = runCli(["resume", runId], { cwd: p.dir });
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});
