/**
 * `cutover serve --playbook` reads and drives runs kept in PostgreSQL, through the same store-opening path as
 * `status`: a run paused at a gate by one process (its own state directory) is listed and approved through the
 * page's API of another, which finishes it; the store URL's password appears nowhere.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli } from "../support/cli.js";
import { pgGateProject } from "../support/pg-gate-project.js";
import { startServe } from "./serve-process.js";

const PASSWORD = "Pg-Pa55-w0rd-web-never-shown";
const project = pgGateProject({ name: "web-pg", schema: "web_state", password: PASSWORD });

describe("cutover serve on a PostgreSQL run store", () => {
  it("lists the run and an approval through the API finishes it", async () => {
    const playbook = project.playbook();
    const env = project.env();
    const run = runCli(["run", playbook], {
      cwd: project.dir(),
      stateDir: path.join(project.dir(), "agent"),
      env,
      json: true,
    });
    expect(run.code, run.stderr).toBe(3);
    const runId = jsonLines(run.stdout)[0]!.runId as string;
    const served = await startServe(
      project.dir(),
      ["-f", playbook, "--as", "pg-oncall"],
      env,
      path.join(project.dir(), "web"),
    );
    try {
      const list = (await (await fetch(new URL("/api/runs", served.url))).json()) as {
        environments: { environment: string; runs: { runId: string; status: string }[] }[];
      };
      expect(list.environments).toEqual([
        { environment: "shop-prod", runs: [expect.objectContaining({ runId, status: "paused" })] },
      ]);
      const view = await (await fetch(new URL(`/api/runs/${runId}`, served.url))).text();
      expect(view).toContain("Green looks healthy. Swap?");
      expect(view).not.toContain(PASSWORD);
      const res = await fetch(new URL(`/api/runs/${runId}/decisions`, served.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${served.token}` },
        body: JSON.stringify({ decision: "approve", stepId: "approve-swap", note: "from the page" }),
      });
      expect(res.status, await res.clone().text()).toBe(202);
      await served.proc.waitForOutput(`run ${runId} is succeeded`);
      const status = runCli(["status", runId, "-f", playbook, "-o", "json"], { cwd: project.dir(), env });
      const st = jsonLines(status.stdout)[0] as {
        state: { status: string; steps: Record<string, { approvedBy?: { user: string } }> };
      };
      expect(st.state.status).toBe("succeeded");
      expect(st.state.steps["approve-swap"]!.approvedBy!.user).toBe("web:pg-oncall");
    } finally {
      expect(await served.stop()).toBe(0);
      expect(served.proc.stderr()).not.toContain(PASSWORD);
    }
  });
});
