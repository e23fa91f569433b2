/**
 * Two CLI processes sharing nothing but a PostgreSQL state store, as two CI
 * jobs or an agent and an on-call laptop would: `run` pauses at a gate in one,
 * `status` and `approve` from another (its own --state-dir) finish the run.
 * The store's URL carries a password, which nothing may print or journal.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli } from "../support/cli.js";
import { pgGateProject } from "../support/pg-gate-project.js";

const PASSWORD = "Pg-Pa55-w0rd-never-shown";
const project = pgGateProject({ name: "pg-shared", schema: "release_state", password: PASSWORD });
const db = project.db;

describe("CLI processes sharing a PostgreSQL state store", () => {
  it("pauses at a gate in one process; status and approve from another finish the run", async () => {
    const playbook = project.playbook();
    const agentA = path.join(project.dir(), "agent-a");
    const agentB = path.join(project.dir(), "agent-b");
    const outputs: string[] = [];
    const cli = (args: string[], stateDir: string, json = false) => {
      const r = runCli(args, { cwd: project.dir(), stateDir, env: project.env(), json });
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    const run = cli(["run", playbook], agentA, true);
    expect(run.code, run.stderr).toBe(3); // paused at the gate
    const runId = jsonLines(run.stdout)[0]!.runId as string;
    expect(runId).toBeTruthy();

    const status = cli(["status", runId, "-f", playbook], agentB);
    expect(status.stdout).toContain(runId);
    expect(status.stdout).toContain("approve-swap");
    expect(status.stdout).toMatch(/waiting|paused/i);

    const approve = cli(["approve", runId, "-f", playbook, "--note", "looks good"], agentB);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout + approve.stderr).toContain("succeeded");

    const after = jsonLines(cli(["status", runId, "-f", playbook], agentA, true).stdout)[0] as {
      state: { status: string };
    };
    expect(after.state.status).toBe("succeeded");
    const runs = cli(["runs", "-f", playbook], path.join(project.dir(), "agent-c"));
    expect(runs.stdout).toContain(runId);

    // Only the database was shared: neither agent's state directory holds a journal.
    for (const dir of [agentA, agentB]) expect(existsSync(path.join(dir, "runs"))).toBe(false);

    // The approval crossed processes, with who approved and the note.
    const client = new pg.Client({ connectionString: db.url() });
    await client.connect();
    try {
      const rows = await client.query<{ event: string }>(
        "select event::text as event from release_state.state_events where run_id = $1 order by seq",
        [runId],
      );
      const events = rows.rows.map((r) => JSON.parse(r.event) as { type: string; note?: string });
      expect(events.map((e) => e.type)).toContain("gate.approved");
      expect(events.find((e) => e.type === "gate.approved")?.note).toBe("looks good");
      const stored =
        JSON.stringify(rows.rows) +
        JSON.stringify((await client.query("select * from release_state.state_leases")).rows);
      expect(stored).not.toContain(PASSWORD);
      expect((await client.query("select released from release_state.state_leases")).rows).toEqual([
        { released: true },
      ]);
    } finally {
      await client.end();
    }
    for (const text of outputs) expect(text).not.toContain(PASSWORD);
  }, 180_000); // six CLI processes one after another: on a shared, loaded machine each start takes seconds

  it("names the database without its password when it cannot be reached", () => {
    const url = new URL(db.url());
    url.password = PASSWORD;
    url.port = "1"; // nothing listens there
    const r = runCli(["runs", "-f", project.playbook()], {
      cwd: project.dir(),
      env: { CUTOVER_STATE_URL: url.toString() },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("127.0.0.1:1");
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
