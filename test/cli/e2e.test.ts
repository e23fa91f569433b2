/** The built `cutover` binary end to end: the command-line contract of docs/design.md. */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli, tmpProject } from "../support/cli.js";

const SECRET = "s3cr3t-Token-value";
const playbook =
  `
version: 1
name: e2e
summary: "released \${{ params.version }} (last exit code \${{ steps.done.outputs.exitCode }})"
params:
  version: { type: string, required: true }
  token: { type: string, secret: true }
steps:
  - id: build
    action: exec
    resume: rerun
    with:
      command: ["node", "-e", "console.log('building ' + process.argv[1] + ' with ' + process.argv[2])", "\${{ ` +
  `params.version }}", "\${{ params.token }}"]
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: swap-ok
    action: gate.approval
    with: { message: "swap?" }
  - id: done
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "console.log('released')"] }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  p = tmpProject({ "playbook.yaml": playbook });
});
afterAll(() => p.cleanup());

const env = { CUTOVER_PARAM_TOKEN: SECRET };

describe("cutover CLI", () => {
  let runId = "";

  it("validate and plan change nothing", () => {
    const v = runCli(["validate", "playbook.yaml"], { cwd: p.dir });
    expect(v.code).toBe(0);
    expect(v.stdout).toContain("playbook e2e");
    const plan = runCli(["plan", "playbook.yaml", "-p", "version=2.0", "-o", "json"], { cwd: p.dir, env: env });
    expect(plan.code).toBe(0);
    const out = jsonLines(plan.stdout)[0] as { steps: { id: string; undo: string; idempotent: boolean }[] };
    expect(out.steps.map((s) => [s.id, s.undo])).toEqual([
      ["build", "none"],
      ["maintenance-on", "recorded"],
      ["swap-ok", "none"],
      ["done", "none"],
    ]);
    expect(readdirSync(p.dir)).not.toContain(".cutover");
  });

  it("refuses missing or unknown params with exit 2 before doing anything", () => {
    const r = runCli(["run", "playbook.yaml", "-p", "colour=blue"], { cwd: p.dir, env: env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown param "colour"');
    expect(r.stderr).toContain('param "version" is required');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    const secretOnArgv = runCli(["run", "playbook.yaml", "-p", "version=1", "-p", `token=${SECRET}`], { cwd: p.dir });
    expect(secretOnArgv.code).toBe(2);
    expect(secretOnArgv.stderr).toContain("CUTOVER_PARAM_TOKEN");
  });

  it("runs to the gate, prints the run id first, and exits 3", () => {
    const r = runCli(["run", "playbook.yaml", "-p", "version=2.0", "-o", "json"], { cwd: p.dir, env: env });
    expect(r.code).toBe(3);
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({ type: "run.started", seq: 1 });
    runId = lines[0]!.runId as string;
    expect(lines.some((l) => l.type === "step.log" && String(l.message).includes("building 2.0 with ***"))).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: "result", status: "paused", exitCode: 3 });
  });

  it("never writes the secret to stdout or the journal", () => {
    const journal = readFileSync(path.join(p.dir, ".cutover", "runs", `${runId}.jsonl`), "utf8");
    expect(journal).not.toContain(SECRET);
    expect(journal).toContain("***");
    const status = runCli(["status", runId], { cwd: p.dir });
    expect(status.stdout).not.toContain(SECRET);
    expect(status.stdout).toContain("token=***");
  });

  it("status shows the pause, the steps and what abort would undo", () => {
    const r = runCli(["status", runId], { cwd: p.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("PAUSED");
    expect(r.stdout).toContain("swap-ok waits for approval: swap?");
    expect(r.stdout).toContain("abort would undo, newest first: maintenance-on");
    expect(r.stdout).toContain("nothing to undo (1): build");
    const json = jsonLines(runCli(["status", runId, "-o", "json"], { cwd: p.dir }).stdout)[0] as {
      state: { steps: Record<string, { status: string }> };
    };
    expect(json.state.steps["maintenance-on"]!.status).toBe("succeeded");
  });

  it("refuses to resume a changed playbook unless told so", () => {
    const original = readFileSync(path.join(p.dir, "playbook.yaml"), "utf8");
    writeFileSync(path.join(p.dir, "playbook.yaml"), original + "\n# edited\n");
    try {
      const r = runCli(["approve", runId], { cwd: p.dir, env: env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("changed since run");
      expect(r.stderr).toContain("--allow-changed-playbook");
    } finally {
      writeFileSync(path.join(p.dir, "playbook.yaml"), original);
    }
  });

  it("approve needs the secret param again, then records who approved and finishes", () => {
    expect(runCli(["approve", runId], { cwd: p.dir }).stderr).toContain("CUTOVER_PARAM_TOKEN");
    const r = runCli(["approve", runId, "--note", "looks good", "-o", "json"], { cwd: p.dir, env: env });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.find((l) => l.type === "gate.approved")).toMatchObject({ stepId: "swap-ok", note: "looks good" });
    expect(lines.at(-1)).toMatchObject({
      status: "succeeded",
      exitCode: 0,
      summary: "released 2.0 (last exit code 0)",
    });
    // Approving a finished run is a usage error.
    expect(runCli(["approve", runId], { cwd: p.dir, env: env }).code).toBe(2);
  });

  it("abort of a paused run undoes in reverse and restores the flag", () => {
    const r = runCli(["run", "playbook.yaml", "-p", "version=3.0", "-o", "json"], { cwd: p.dir, env: env });
    expect(r.code).toBe(3);
    const id = jsonLines(r.stdout)[0]!.runId as string;
    const a = runCli(["abort", id, "--reason", "smoke test failed"], { cwd: p.dir, env: env });
    expect(a.code, a.stderr).toBe(0); // the abort completed and every change was undone
    expect(a.stderr).toContain("back where it was");
    expect(a.stdout).toContain("maintenance-on: undone");
    expect(a.stderr).toContain("aborted");
    const flags = JSON.parse(readFileSync(path.join(p.dir, ".cutover", "flags.json"), "utf8")) as {
      flags: Record<string, { value: unknown }>;
    };
    // The first run left MaintenanceMode=true; this run's undo restored exactly that previous value.
    expect(flags.flags.MaintenanceMode?.value).toBe(true);
    const runs = jsonLines(runCli(["runs", "-o", "json"], { cwd: p.dir }).stdout);
    expect(runs.map((x) => x.runId)).toEqual([id, runId]);
    expect(runs[0]).toMatchObject({ status: "aborted", driverGone: false });
  });

  it("unlock --force takes a live lease and journals it in the holder's run", () => {
    const leaseFile = path.join(p.dir, ".cutover", "leases", "e2e.json");
    const now = Date.now();
    // Forge a live lease held by a process on another host: unlock without --force must refuse.
    const lease = {
      environment: "e2e",
      holder: "ci@other-host pid 1 run " + runId,
      runId,
      token: 99,
      acquiredAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
    };
    writeFileSync(leaseFile, JSON.stringify({ lastToken: 99, lease }), { mode: 0o600 });
    const refused = runCli(["unlock", "e2e"], { cwd: p.dir });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("ci@other-host");
    const locked = runCli(["run", "playbook.yaml", "-p", "version=4"], { cwd: p.dir, env: env });
    expect(locked.code).toBe(4);
    const forced = runCli(["unlock", "e2e", "--force"], { cwd: p.dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`journaled in run ${runId}`);
    const journal = readFileSync(path.join(p.dir, ".cutover", "runs", `${runId}.jsonl`), "utf8");
    expect(journal).toContain('"type":"lease.forced"');
  });

  it("unlock --force recovers a damaged lease record", () => {
    const leaseFile = path.join(p.dir, ".cutover", "leases", "e2e.json");
    writeFileSync(leaseFile, "{ not json");
    const plain = runCli(["unlock", "e2e"], { cwd: p.dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("--force");
    expect(runCli(["unlock", "e2e", "--force"], { cwd: p.dir }).code).toBe(0);
    expect(runCli(["unlock", "e2e"], { cwd: p.dir }).stdout).toContain("was not locked");
  });

  it("abort --rollback undoes a release that succeeded, only if it is the latest", () => {
    const q = tmpProject({
      "playbook.yaml": `
version: 1
name: rollback
steps:
  - { id: flag, action: flag.set, with: { name: Live, value: "v2" } }
`,
    });
    try {
      const first = jsonLines(runCli(["run", "playbook.yaml", "-o", "json"], { cwd: q.dir }).stdout)[0]!
        .runId as string;
      const second = jsonLines(runCli(["run", "playbook.yaml", "-o", "json"], { cwd: q.dir }).stdout)[0]!
        .runId as string;
      const plain = runCli(["abort", second], { cwd: q.dir });
      expect(plain.code).toBe(2);
      expect(plain.stderr).toContain("--rollback");
      const older = runCli(["abort", first, "--rollback"], { cwd: q.dir });
      expect(older.code).toBe(2);
      expect(older.stderr).toContain("not the latest run");
      const r = runCli(["abort", second, "--rollback", "--reason", "errors after release"], { cwd: q.dir });
      expect(r.code, r.stderr).toBe(0); // rolled back, nothing left changed
      expect(r.stdout).toContain("flag: undone");
      // The second run found Live already "v2" (set by the first): its undo restores exactly that.
      const flags = JSON.parse(readFileSync(path.join(q.dir, ".cutover", "flags.json"), "utf8")) as {
        flags: Record<string, { value: unknown }>;
      };
      expect(flags.flags.Live?.value).toBe("v2");
      const st = jsonLines(runCli(["status", second, "-o", "json"], { cwd: q.dir }).stdout)[0] as {
        state: { status: string };
      };
      expect(st.state.status).toBe("aborted");
    } finally {
      q.cleanup();
    }
  });

  it("schema prints a JSON Schema that knows every action's inputs", () => {
    const r = runCli(["schema"], { cwd: p.dir });
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as {
      $defs: { actionInputs: { allOf: { if: { properties: { action: { const: string } } } }[] } };
    };
    const kinds = schema.$defs.actionInputs.allOf.map((x) => x.if.properties.action.const);
    expect(kinds).toEqual(
      expect.arrayContaining(["exec", "http.check", "wait.until", "wait.duration", "flag.set", "gate.approval"]),
    );
  });

  it("unknown commands and runs are usage errors (exit 2)", () => {
    expect(runCli(["frobnicate"], { cwd: p.dir }).code).toBe(2);
    const r = runCli(["resume", "r-nope"], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no run r-nope");
  });
});
