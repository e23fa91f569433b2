/**
 * `cutover report` on a real run made by the built CLI: a failed attempt retried, a gate approved by alice,
 * a failed step aborted by bob with undos. Markdown, JSON (`-o json`) and HTML (`--out`), the newest run by
 * default, and no secret of the run anywhere in the report.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { requireBuilt, runCli, tmpProject } from "../support/cli.js";
import type { RunReport } from "../../src/api/report-model.js";

const SECRET = "s3cr3t-report-value-7d1e";
const PLAYBOOK = `version: 1
name: report-demo
steps:
  - id: prep
    action: exec
    with:
      command: ["sh", "-c", "echo token=$TOKEN"]
      env: { TOKEN: "\${{ secrets.TOKEN }}" }
    undo: { action: exec, with: { command: ["true"] } }
  - id: flaky
    action: exec
    with: { command: ["sh", "-c", "test -f marker || { touch marker; echo boom >&2; exit 1; }"] }
    retry: { maxRetries: 1, delay: 100ms }
    undo: { action: exec, with: { command: ["true"] } }
  - id: approve-swap
    action: gate.approval
    with: { message: "Swap blue and green?" }
  - id: swap
    action: exec
    with: { command: ["sh", "-c", "exit 3"] }
    onFailure: pause
`;

let dir: string;
let cleanup: () => void;
let runId: string;
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: dir, env });

beforeAll(() => {
  requireBuilt();
  ({ dir, cleanup } = tmpProject({ "playbook.yaml": PLAYBOOK }));
  const run = cli(["run", "playbook.yaml"], { CUTOVER_SECRET_TOKEN: SECRET });
  expect(run.code, run.stderr).toBe(3);
  runId = /run (r\S+) started/.exec(run.stdout)![1]!;
  const approve = cli(["approve", runId, "--note", "canary is clean"], {
    CUTOVER_ACTOR: "alice",
    CUTOVER_SECRET_TOKEN: SECRET,
  });
  expect(approve.code, approve.stderr).toBe(3); // swap failed: waits for a decision
  const abort = cli(["abort", runId, "--reason", "swap broken"], {
    CUTOVER_ACTOR: "bob",
    CUTOVER_SECRET_TOKEN: SECRET,
  });
  // 0: the abort completed and the environment is back where it was (issue 13); older builds said 1.
  expect([0, 1], abort.stderr).toContain(abort.code);
  expect(abort.stdout + abort.stderr).toContain(`run ${runId} aborted`);
});
afterAll(() => cleanup?.());

describe("cutover report", () => {
  it("-o json: the model, with attempts, undos, waits and people", () => {
    const r = cli(["report", runId, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as RunReport & { type: string };
    expect(report).toMatchObject({ type: "report", reportVersion: 1, runId, status: "aborted" });
    const step = (id: string) => report.steps.find((s) => s.id === id)!;
    expect(step("flaky").attempts.map((a) => a.result)).toEqual(["failed", "succeeded"]);
    expect(step("flaky").attempts[0]!.retryInMs).toBeGreaterThan(0);
    expect(step("swap").attempts[0]!.error?.code).toBe("STEP_FAILED");
    expect(step("flaky").undos.map((u) => u.result)).toEqual(["succeeded"]);
    expect(step("prep").undos.map((u) => u.result)).toEqual(["succeeded"]);
    expect(step("swap").undos).toEqual([expect.objectContaining({ result: "skipped", reason: "not-completed" })]);
    expect(report.waits.map((w) => [w.kind, w.stepId, w.endedBy?.action, w.endedBy?.by?.split("@")[0]])).toEqual([
      ["gate", "approve-swap", "approved", "alice"],
      ["decision", "swap", "abort", "bob"],
    ]);
    expect(report.waits[0]!.endedBy!.note).toBe("canary is clean");
    const t = report.totals;
    expect(t.humanWaitMs).toBe(report.waits.reduce((n, w) => n + w.durationMs, 0));
    expect(t.machineMs + t.humanWaitMs + t.stoppedMs).toBe(t.wallMs);
    expect(r.stdout).not.toContain(SECRET);
  });

  it("Markdown by default, of the newest run when no id is given", () => {
    const r = cli(["report"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`# Run report: ${runId}`);
    expect(r.stdout).toMatch(/\| gate \(person\) \| approve-swap \| .* \| approved by alice@\S+: canary is clean \|/);
    expect(r.stdout).toMatch(/\| decision \(person\) \| swap \| .* \| abort by bob@\S+: swap broken \|/);
    expect(r.stdout).toMatch(/\| flaky \| 1 \| .* \| failed, retried after \d+ms \| \[STEP_FAILED\]/);
    expect(r.stdout).not.toContain(SECRET);
  });

  it("--format html --out: one self-contained file with an SVG timeline and no external URL", () => {
    const out = path.join(dir, "report.html");
    const r = cli(["report", runId, "--format", "html", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const html = fs.readFileSync(out, "utf8");
    expect(XMLValidator.validate(html)).toBe(true);
    expect(html).toMatch(/<svg [^>]*role="img"/);
    expect(html.match(/<rect class="attempt /g)).toHaveLength(5); // prep, flaky twice, approve-swap, swap
    expect(html.match(/<rect class="undo /g)).toHaveLength(2);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|<img/i);
    expect(html).not.toContain(SECRET);
  });

  it("--out in a directory that does not exist: exit 2 naming the flag, no stack, nothing written", () => {
    const r = cli(["report", runId, "--out", path.join(dir, "missing", "r.md")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--out");
    expect(r.stderr).toContain("ENOENT");
    expect(r.stderr).not.toContain("INTERNAL");
  });

  it("names a run that does not exist", () => {
    const r = cli(["report", "r-nope"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no run r-nope");
  });
});
