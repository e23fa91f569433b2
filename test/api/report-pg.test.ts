/**
 * `cutover report -f <playbook>` reads a run kept in a shared PostgreSQL state store from another machine's
 * point of view (its own --state-dir, nothing local): the on-call laptop writing the review of a CI release.
 * The store's URL carries a password, which the report never holds.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, tmpProject } from "../support/cli.js";
import { pgDatabase } from "../pg-store/helpers.js";
import type { RunReport } from "../../src/api/report-model.js";

const PASSWORD = "Pg-rep0rt-pa55-never-shown";
const db = pgDatabase();
const PLAYBOOK = `version: 1
name: pg-report
environment:
  state: { provider: postgres, urlEnv: CUTOVER_STATE_URL, schema: report_state }
steps:
  - id: deploy
    action: exec
    with: { command: ["true"] }
  - id: approve-swap
    action: gate.approval
    with: { message: "Swap?" }
`;

let project: { dir: string; cleanup(): void };
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": PLAYBOOK });
  const url = new URL(db.url());
  url.password = PASSWORD; // trust auth ignores it; cutover must keep it to itself
  env = { CUTOVER_STATE_URL: url.toString() };
});
afterAll(() => project?.cleanup());

describe("cutover report on a PostgreSQL state store", () => {
  it("reports a run another process made, the newest by default, without the store's password", () => {
    const playbook = path.join(project.dir, "playbook.yaml");
    const agent = (name: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
      runCli(args, { cwd: project.dir, stateDir: path.join(project.dir, name), env: { ...env, ...extra } });
    expect(agent("ci", ["run", playbook]).code).toBe(3);
    const approve = agent("laptop", ["approve", "-f", playbook, "--note", "lgtm"], { CUTOVER_ACTOR: "carol" });
    expect(approve.code, approve.stderr).toBe(0);

    const r = agent("reviewer", ["report", "-f", playbook, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report).toMatchObject({ status: "succeeded", environment: "pg-report" });
    expect(report.waits).toEqual([
      expect.objectContaining({
        kind: "gate",
        stepId: "approve-swap",
        endedBy: expect.objectContaining({ note: "lgtm" }),
      }),
    ]);
    expect(report.waits[0]!.endedBy!.by).toMatch(/^carol@/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
