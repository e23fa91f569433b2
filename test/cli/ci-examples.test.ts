/**
 * The example pipelines of docs/ci.md (examples/ci/github-actions.yml, examples/ci/azure-pipelines.yml) parsed as
 * YAML, checked for the structure their CI service needs, and their cutover commands run as the jobs would: job by
 * job, each as a fresh process in a copy of the repository's examples/ci, the state in a throw-away PostgreSQL
 * database (the CUTOVER_STATE_URL secret), with the CI variables set. `npx cutover` runs the built CLI.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, ROOT, runCli } from "../support/cli.js";
import { tempDir } from "../support/files.js";
import { createPgDb, type TestDb } from "../migrate/helpers.js";
import { NO_CI } from "./ci-fixtures.js";

type Obj = Record<string, unknown>;
const EXAMPLES = path.join(ROOT, "examples", "ci");
const dbs: TestDb[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

/** A checkout: examples/ci copied under the same relative path, and `npx` that runs the built cutover. */
async function workspace(): Promise<{ dir: string; stateUrl: string; bin: string }> {
  const dir = tempDir("ci-example");
  fs.cpSync(EXAMPLES, path.join(dir, "examples", "ci"), { recursive: true });
  const bin = path.join(dir, ".bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "npx"),
    `#!/bin/sh\n[ "$1" = cutover ] || { echo "unexpected npx $*" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${BIN}" "$@"\n`,
    { mode: 0o755 },
  );
  const db = await createPgDb();
  dbs.push(db);
  return { dir, stateUrl: db.location, bin };
}

/** Replace each expression with its value; an expression the test does not know fails it (examples drift). */
function substitute(text: string, pattern: RegExp, values: Record<string, string>): string {
  return text.replace(pattern, (_m, name: string) => {
    const v = values[name.trim()];
    if (v === undefined) throw new Error(`the example uses ${name.trim()}, which this test does not provide`);
    return v;
  });
}

interface Script {
  job: string;
  script: string;
  env: Record<string, string>;
}

function runScript(s: Script, ws: { dir: string; bin: string }, ci: Record<string, string>) {
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.script], {
    cwd: ws.dir,
    env: {
      ...process.env,
      ...NO_CI,
      CUTOVER_STATE_DIR: undefined,
      NO_COLOR: "1",
      CI: "true",
      ...ci,
      ...s.env,
      PATH: `${ws.bin}:${process.env.PATH}`,
    },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cutoverLines = (scripts: Script[]) =>
  scripts.flatMap((s) => s.script.split("\n").filter((l) => /\bcutover\b/.test(l) && !l.trim().startsWith("#")));

function runStatus(ws: { dir: string }, stateUrl: string, env: Obj = {}) {
  const r = runCli(["status", "-f", "examples/ci/release.yaml"], {
    cwd: ws.dir,
    json: true,
    env: { ...NO_CI, CUTOVER_STATE_URL: stateUrl, ...(env as Record<string, string>) },
  });
  const line = r.stdout.split("\n").find((l) => l.includes('"type":"status"'));
  expect(line, r.stderr).toBeDefined();
  return (JSON.parse(line!) as { state: { status: string; steps: Record<string, { status: string }> } }).state;
}

describe("examples/ci/github-actions.yml", () => {
  const wf = parse(fs.readFileSync(path.join(EXAMPLES, "github-actions.yml"), "utf8")) as Obj;
  const jobs = wf.jobs as Record<string, Obj>;

  /** The jobs' cutover scripts, in `needs` order; jobs that run only on failure() kept apart. */
  function scripts(values: Record<string, string>, which: "happy" | "failure"): Script[] {
    const order: string[] = [];
    const visit = (name: string) => {
      if (order.includes(name)) return;
      const needs = jobs[name]!.needs;
      for (const n of Array.isArray(needs) ? needs : needs ? [needs] : []) visit(n as string);
      order.push(name);
    };
    Object.keys(jobs).forEach(visit);
    const sub = (t: string) => substitute(t, /\$\{\{([^}]*)\}\}/g, values);
    const envOf = (o: unknown) =>
      Object.fromEntries(Object.entries((o ?? {}) as Record<string, string>).map(([k, v]) => [k, sub(String(v))]));
    return order
      .filter((name) => String(jobs[name]!.if ?? "").includes("failure()") === (which === "failure"))
      .flatMap((name) =>
        (jobs[name]!.steps as Obj[])
          .filter((st) => typeof st.run === "string" && /\bcutover\b/.test(st.run))
          .map((st) => ({
            job: name,
            script: sub(st.run as string),
            env: { ...envOf(wf.env), ...envOf(jobs[name]!.env), ...envOf(st.env) },
          })),
      );
  }

  it("is a workflow: a trigger, jobs with runs-on and steps, an environment approval before the swap", () => {
    expect(wf.on).toBeDefined();
    for (const [name, job] of Object.entries(jobs)) {
      expect(job["runs-on"], name).toBe("ubuntu-latest");
      expect(Array.isArray(job.steps), name).toBe(true);
      for (const st of job.steps as Obj[])
        expect(Boolean(st.uses) !== Boolean(st.run), `${name}: uses or run`).toBe(true);
    }
    expect(jobs.swap!.needs).toBe("deploy");
    expect(jobs.swap!.environment).toBe("production");
    expect(jobs.cleanup!.needs).toBe("swap");
    const lines = cutoverLines(scripts({ "secrets.CUTOVER_STATE_URL": "x", "inputs.version": "1" }, "happy"));
    expect(lines.map((l) => /npx cutover (\w+)/.exec(l)![1])).toEqual(["validate", "run", "resume", "resume"]);
    expect(lines[1]).toContain("--until warm");
    expect(lines[2]).toContain("--until swap");
  });

  it("runs job by job on the PostgreSQL state: deploy+warm, swap, cleanup; each job's step summary and JUnit", async () => {
    const ws = await workspace();
    const values = { "secrets.CUTOVER_STATE_URL": ws.stateUrl, "inputs.version": "2.0.0" };
    const byJob = new Map<string, string>();
    for (const s of scripts(values, "happy")) {
      const summary = path.join(ws.dir, `summary-${s.job}.md`);
      const ci = { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: ws.dir, GITHUB_STEP_SUMMARY: summary, GITHUB_RUN_ID: "7" };
      const r = runScript(s, ws, ci);
      expect(r.code, `${s.job}: ${s.script}\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(ws.stateUrl);
      byJob.set(s.job, fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : "");
    }
    expect(byJob.get("deploy")).toMatch(/\| `warm` \| ✅ succeeded \|/);
    expect(byJob.get("deploy")).toMatch(/\| `swap` \| · not run \|/);
    expect(byJob.get("deploy")).toContain("stopped as asked after warm");
    expect(byJob.get("swap")).toMatch(/\| `swap` \| ✅ succeeded \|/);
    expect(byJob.get("cleanup")).toMatch(/\| `cleanup` \| ✅ succeeded \|/);
    expect(fs.readdirSync(path.join(ws.dir, "reports")).sort()).toEqual(["cleanup.xml", "deploy.xml", "swap.xml"]);
    const state = runStatus(ws, ws.stateUrl);
    expect(state.status).toBe("succeeded");
    expect(Object.values(state.steps).map((s) => s.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  });

  it("aborts from the failure() job after the deploy job: the deploy is undone and the job succeeds", async () => {
    const ws = await workspace();
    const values = { "secrets.CUTOVER_STATE_URL": ws.stateUrl, "inputs.version": "2.0.0" };
    const ci = { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: ws.dir, GITHUB_RUN_ID: "8" };
    for (const s of scripts(values, "happy").filter((x) => x.job === "deploy"))
      expect(runScript(s, ws, ci).code).toBe(0);
    const [abort] = scripts(values, "failure");
    const r = runScript(abort!, ws, ci);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("deploy: green previous"); // the undo ran the script
    expect(runStatus(ws, ws.stateUrl).status).toBe("aborted");
  });
});

describe("examples/ci/azure-pipelines.yml", () => {
  const pl = parse(fs.readFileSync(path.join(EXAMPLES, "azure-pipelines.yml"), "utf8")) as Obj;
  const stages = pl.stages as Obj[];

  function stepsOf(job: Obj): Obj[] {
    if (job.steps) return job.steps as Obj[];
    const strategy = job.strategy as { runOnce: { deploy: { steps: Obj[] } } };
    return strategy.runOnce.deploy.steps;
  }

  function scripts(values: Record<string, string>, which: "happy" | "failure"): Script[] {
    const params = Object.fromEntries(
      (pl.parameters as { name: string; default: string }[]).map((p) => [`parameters.${p.name}`, p.default]),
    );
    const macros = { ...(pl.variables as Record<string, string>), ...values };
    const sub = (t: string) =>
      substitute(substitute(t, /\$\{\{([^}]*)\}\}/g, params), /\$\(([A-Za-z_][\w.]*)\)/g, macros);
    return stages
      .filter((st) => String(st.condition ?? "").includes("failed()") === (which === "failure"))
      .flatMap((stage) =>
        (stage.jobs as Obj[]).flatMap((job) =>
          stepsOf(job)
            .filter((st) => typeof st.script === "string" && /\bcutover\b/.test(st.script))
            .map((st) => ({
              job: String(stage.stage),
              script: sub(st.script as string),
              env: Object.fromEntries(
                Object.entries((st.env ?? {}) as Record<string, string>).map(([k, v]) => [k, sub(String(v))]),
              ),
            })),
        ),
      );
  }

  it("is a pipeline: stages in order, deployment jobs on environments for the swap and the cleanup", () => {
    expect(stages.map((s) => s.stage)).toEqual(["deploy", "swap", "cleanup", "abort"]);
    const swap = (stages[1]!.jobs as Obj[])[0]!;
    expect(swap.deployment).toBe("swap");
    expect(swap.environment).toBe("production");
    for (const stage of stages) for (const job of stage.jobs as Obj[]) expect(stepsOf(job).length).toBeGreaterThan(0);
    const lines = cutoverLines(scripts({ CUTOVER_STATE_URL: "x", "Common.TestResultsDirectory": "r" }, "happy"));
    expect(lines.map((l) => /npx cutover (\w+)/.exec(l)![1])).toEqual(["run", "step", "resume"]);
  });

  it("runs stage by stage on the PostgreSQL state, with the Azure logging commands", async () => {
    const ws = await workspace();
    const results = path.join(ws.dir, "test-results");
    const values = { CUTOVER_STATE_URL: ws.stateUrl, "Common.TestResultsDirectory": results, "Build.BuildId": "9" };
    const out = new Map<string, string>();
    for (const s of scripts(values, "happy")) {
      const r = runScript(s, ws, { TF_BUILD: "True", AGENT_TEMPDIRECTORY: ws.dir });
      expect(r.code, `${s.job}: ${s.script}\n${r.stdout}\n${r.stderr}`).toBe(0);
      out.set(s.job, r.stdout);
    }
    // A stage that stopped where it was asked to completes its task as Succeeded.
    expect(out.get("deploy")).toContain("##vso[task.complete result=Succeeded;]");
    expect(out.get("deploy")).toContain("##[group]warm: Warm the green slot up");
    expect(out.get("swap")).toContain("##[group]swap: Swap green live");
    expect(out.get("swap")).not.toContain("##[group]cleanup");
    expect(out.get("cleanup")).toContain("##vso[task.complete result=Succeeded;]");
    expect(fs.readdirSync(results)).toEqual(["deploy.xml"]);
    expect(runStatus(ws, ws.stateUrl).status).toBe("succeeded");
  });

  it("aborts from the failed() stage after the deploy stage", async () => {
    const ws = await workspace();
    const values = { CUTOVER_STATE_URL: ws.stateUrl, "Common.TestResultsDirectory": ws.dir, "Build.BuildId": "10" };
    const ci = { TF_BUILD: "True", AGENT_TEMPDIRECTORY: ws.dir };
    for (const s of scripts(values, "happy").filter((x) => x.job === "deploy"))
      expect(runScript(s, ws, ci).code).toBe(0);
    const [abort] = scripts(values, "failure");
    const r = runScript(abort!, ws, ci);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(runStatus(ws, ws.stateUrl).status).toBe("aborted");
  });
});
