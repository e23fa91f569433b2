/**
 * Issue 9, cases 1, 5, 6 and 8 through the built CLI: one open release per environment (run refused,
 * plan shows it, --supersede journaled in both runs), generations (--force --reason), a `run` after its
 * holder died, gates approved only where the run waits (or --ahead), and everything a run needs
 * checked before anything changes.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";

const release = `
version: 1
name: shop
lease: { ttl: 10m }
params:
  version: { type: string, default: v2 }
steps:
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: settle
    action: wait.duration
    with: { duration: "\${{ params.version == 'slow' && '10m' || '1ms' }}" }
  - id: swap-ok
    action: gate.approval
    with: { message: "swap to \${{ params.version }} with token \${{ secrets.GATE_TOKEN }}?" }
  - id: maintenance-off
    action: flag.set
    with: { name: MaintenanceMode, value: false }
`;

const SECRET = "gate-Token-4711";
const env = { CUTOVER_SECRET_GATE_TOKEN: SECRET };
let p: ReturnType<typeof tmpProject>;
beforeAll(() => requireBuilt());
afterEach(() => p?.cleanup());

const journal = (runId: string) =>
  readFileSync(path.join(p.dir, ".cutover", "runs", `${runId}.jsonl`), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const cli = (args: string[]) => runCli(args, { cwd: p.dir, env });
const runIdOf = (stdout: string) => jsonLines(stdout)[0]!.runId as string;

describe("one open release per environment (case 1)", () => {
  it("refuses a new run while one is paused, says so in plan, and supersedes it only when named", () => {
    p = tmpProject({ "shop.yaml": release });
    const first = cli(["run", "shop.yaml", "-o", "json"]);
    expect(first.code).toBe(3);
    const old = runIdOf(first.stdout);

    const plan = cli(["plan", "shop.yaml"]);
    expect(plan.stdout).not.toContain("the environment is free");
    expect(plan.stdout).toContain(`open run: ${old} is paused at step swap-ok`);

    const second = cli(["run", "shop.yaml"]);
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(`${old} is paused at step swap-ok`);
    expect(second.stderr).toContain(`cutover resume ${old}`);
    expect(second.stderr).toContain(`cutover abort ${old}`);
    expect(second.stderr).toContain(`--supersede ${old}`);
    expect(second.stderr).toContain("it left changed: maintenance-on");
    expect(readFileSync(path.join(p.dir, ".cutover", "runs", `${old}.jsonl`), "utf8")).not.toContain("superseded");

    const wrong = cli(["run", "shop.yaml", "--supersede", "r-not-this-one"]);
    expect(wrong.code).toBe(4);

    const sup = cli(["run", "shop.yaml", "--supersede", old]);
    expect(sup.code).toBe(3);
    expect(sup.stdout).toContain(`supersedes run ${old}`);
    expect(sup.stdout).toContain("left changed, not undone: maintenance-on");
    const newer = /run (r\S+) started/.exec(sup.stdout)![1]!;
    expect(journal(newer)[1]).toMatchObject({
      type: "run.admitted",
      generation: 2,
      follows: old,
      supersedes: old,
      leftChanged: ["maintenance-on"],
    });
    expect(journal(old).at(-1)).toMatchObject({
      type: "run.superseded",
      supersededBy: newer,
      leftChanged: ["maintenance-on"],
    });
  });

  it(
    "a run that is not the environment's latest refuses " + "resume/abort/approve unless --force --reason (journaled)",
    () => {
      p = tmpProject({ "shop.yaml": release });
      const old = runIdOf(cli(["run", "shop.yaml", "-o", "json"]).stdout);
      const newer = runIdOf(cli(["run", "shop.yaml", "--supersede", old, "-o", "json"]).stdout);
      for (const args of [
        ["resume", old],
        ["abort", old],
        ["approve", old],
        ["retry", old, "swap-ok"],
        ["skip", old, "swap-ok"],
      ]) {
        const r = cli(args);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(`run ${old} is not the latest run of environment shop: ${newer} is newer`);
      }
      expect(cli(["abort", old, "--force"]).code).toBe(2); // --force needs a reason
      const forced = cli(["abort", old, "--force", "--reason", "put the flag back by hand first"]);
      expect(forced.code, forced.stderr).toBe(0); // aborted, every change undone
      expect(journal(old).find((e) => e.type === "run.forced")).toMatchObject({
        command: "abort",
        newerRun: newer,
        reason: "put the flag back by hand first",
      });
      // abort --rollback keeps its own rule: the latest succeeded run only.
      expect(cli(["abort", old, "--rollback"]).code).toBe(2);
    },
  );
});

describe("a run after its holder died on this host (case 8)", () => {
  let child: ReturnType<typeof startCli> | undefined;
  afterEach(() => child?.child.kill("SIGKILL"));

  it("names the abandoned run, and --supersede takes its lease over at once (journaled)", async () => {
    p = tmpProject({ "shop.yaml": release });
    child = startCli(["run", "shop.yaml", "-p", "version=slow"], { cwd: p.dir, env, json: true });
    const started = await child.waitFor((e) => e.type === "step.started" && e.stepId === "settle");
    child.child.kill("SIGKILL");
    await child.done;
    const old = started.runId!;
    const plan = cli(["plan", "shop.yaml"]);
    expect(plan.stdout).not.toContain("the environment is free");
    expect(plan.stdout).toContain(`open run: ${old} is running at step settle`);
    const refused = cli(["run", "shop.yaml"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("nothing runs it: its cutover process is gone");
    const sup = cli(["run", "shop.yaml", "--supersede", old, "-o", "json"]);
    expect(sup.code).toBe(3); // the lease (TTL 10m) was taken over at once, not after the TTL
    const events = jsonLines(sup.stdout);
    expect(events.some((e) => e.type === "lease.forced" && String(e.previousHolder).includes("process gone"))).toBe(
      true,
    );
  });
});

describe("gates (case 5)", () => {
  it(
    "refuses to approve a gate the run is not waiting at, " +
      "unless --ahead; the pause message is resolved and redacted",
    () => {
      // A run paused at a failed step before its gate (settle fails while FAIL is set).
      const settle =
        "action: wait.duration\n    with: { duration: \"${{ params.version == 'slow' && '10m' || '1ms' }}\" }";
      const failing =
        "action: exec\n    resume: rerun\n    with: { command: " +
        '["node", "-e", "process.exit(process.env.FAIL ? 1 : 0)"] }';
      expect(release).toContain(settle);
      p = tmpProject({ "shop.yaml": release.replace(settle, failing) });
      const failed = runCli(["run", "shop.yaml", "-o", "json"], { cwd: p.dir, env: { ...env, FAIL: "1" } });
      expect(failed.code).toBe(3);
      const runId = runIdOf(failed.stdout);
      const early = cli(["approve", runId, "swap-ok"]);
      expect(early.code).toBe(2);
      expect(early.stderr).toContain(`run ${runId} is not waiting at gate swap-ok`);
      expect(early.stderr).toContain("--ahead");
      expect(journal(runId).some((e) => e.type === "gate.approved" || e.type === "gate.preapproved")).toBe(false);

      const ahead = cli(["approve", runId, "swap-ok", "--ahead", "--note", "CAB said yes"]);
      expect(ahead.code).toBe(0);
      expect(journal(runId).at(-1)).toMatchObject({
        type: "gate.preapproved",
        stepId: "swap-ok",
        note: "CAB said yes",
      });
      expect(cli(["status", runId]).stdout).toMatch(/swap-ok .*approved ahead by/);

      const retried = cli(["retry", runId, "settle", "-o", "json"]);
      expect(retried.code).toBe(0);
      expect(jsonLines(retried.stdout).some((e) => e.type === "run.paused")).toBe(false);
    },
  );

  it("shows a templated gate message resolved, with secrets redacted", () => {
    p = tmpProject({ "shop.yaml": release });
    const r = cli(["run", "shop.yaml", "-p", "version=v9", "-o", "json"]);
    const pause = jsonLines(r.stdout).find((e) => e.type === "run.paused");
    expect(pause?.message).toBe("swap-ok waits for approval: swap to v9 with token ***?");
    const status = cli(["status", runIdOf(r.stdout)]);
    expect(status.stdout).toContain("swap to v9 with token ***?");
    expect(status.stdout + r.stdout).not.toContain(SECRET);
  });
});

describe("everything a run needs, before anything changes (case 6)", () => {
  it("lists every missing secret, folder and program, exits 2, and changes nothing", () => {
    p = tmpProject({
      "shop.yaml": `
version: 1
name: needs
steps:
  - id: maintenance-on
    action: flag.set
    with: { name: MaintenanceMode, value: true }
  - id: deploy
    action: exec
    resume: rerun
    with: { command: ["./scripts/deploy.sh", "\${{ secrets.DEPLOY_TOKEN }}"] }
  - id: build
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "0"], cwd: app }
`,
    });
    const r = runCli(["run", "shop.yaml"], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("secret DEPLOY_TOKEN");
    expect(r.stderr).toContain("file ./scripts/deploy.sh of step deploy");
    expect(r.stderr).toContain("folder app of step build");
    expect(existsSync(path.join(p.dir, ".cutover", "flags.json"))).toBe(false);
    expect(existsSync(path.join(p.dir, ".cutover", "runs"))).toBe(false);
  });
});
