/**
 * Issue 13's done-when: one release across THREE CLI processes, as three CI jobs would run it (deploy+warm,
 * then swap after an environment approval, then cleanup later), each in a fresh working directory deleted
 * when its job ends, so nothing but the PostgreSQL state store carries the run from one job to the next.
 * The three commands are README's ("A release across pipeline stages"), read from it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, ROOT, runCli } from "../support/cli.js";
import { pgDatabase } from "./helpers.js";

const db = pgDatabase();

/** Each step leaves a mark in the working directory of the job that ran it. */
const step = (id: string) =>
  `  - id: ${id}\n    action: exec\n` +
  `    with: { command: ["node", "-e", "require('fs').appendFileSync('ran.log', '${id};')"] }\n`;
const PLAYBOOK =
  `version: 1
name: staged-release
environment:
  name: shop-prod
  state: { provider: postgres, url: "\${{ secrets.STATE_URL }}", schema: pipeline_state }
steps:
` +
  step("deploy") +
  step("warm") +
  step("swap") +
  step("cleanup");

beforeAll(() => requireBuilt());

/** The `cutover …` lines of README's pipeline example, without `cutover` and the shell's `|| [ $? -eq 10 ]`. */
function readmeStages(): string[][] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### A release across pipeline stages"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split("\n")
    .filter((l) => l.startsWith("cutover "))
    .map((l) =>
      l
        .replace(/\s*\|\|.*$/, "")
        .split(/\s+/)
        .slice(1),
    );
}

interface Job {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the job's own working directory saw run. */
  ran: string;
}

/** A CI job: a fresh checkout (the playbook), cutover run there with only the store's URL, then the workspace gone. */
function job(args: string[]): Job {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-ci-job-"));
  try {
    writeFileSync(path.join(dir, "release.yaml"), PLAYBOOK);
    const r = runCli(args, { cwd: dir, json: true, env: { CUTOVER_SECRET_STATE_URL: db.url() } });
    let ran = "";
    try {
      ran = readFileSync(path.join(dir, "ran.log"), "utf8");
    } catch {
      // this job ran no step
    }
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ran };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = (j: Job) => jsonLines(j.stdout).find((e) => e.type === "result")!;
const statusOf = (runId: string) => {
  const j = job(["status", runId, "-f", "release.yaml"]);
  expect(j.code, j.stderr).toBe(0);
  return jsonLines(j.stdout)[0] as { state: { status: string; pause?: { reason: string } }; lease: unknown };
};

describe("a release split across three CI jobs on the PostgreSQL store", () => {
  it("run --until warm, resume --until swap, resume: each job runs its share; the store carries the run", () => {
    const [run, resumeUntil, resumeRest] = readmeStages();
    expect(run).toEqual(["run", "release.yaml", "--until", "warm"]);
    expect(resumeUntil).toEqual(["resume", "-f", "release.yaml", "--until", "swap"]);
    expect(resumeRest).toEqual(["resume", "-f", "release.yaml"]);
    const first = job(run!);
    expect(first.code, first.stderr).toBe(10);
    expect(first.ran).toBe("deploy;warm;");
    const runId = jsonLines(first.stdout)[0]!.runId as string;
    expect(result(first)).toMatchObject({ runId, reason: "until", stoppedAfter: "warm", next: "swap" });
    const between = statusOf(runId);
    expect(between.state).toMatchObject({ status: "paused", pause: { reason: "until" } });
    expect(between.lease).toBeNull(); // released: the next job, on another machine, can take it

    // The second job knows no run id: the environment's open run, found in the shared store, is named.
    const second = job(resumeUntil!);
    expect(second.code, second.stderr).toBe(10);
    expect(second.ran).toBe("swap;");
    expect(jsonLines(second.stdout)[0]).toMatchObject({ type: "run.chosen", runId, environment: "shop-prod" });
    expect(result(second)).toMatchObject({ runId, stoppedAfter: "swap", next: "cleanup", exitCode: 10 });
    expect(statusOf(runId).lease).toBeNull();

    const third = job(resumeRest!);
    expect(third.code, third.stderr).toBe(0);
    expect(third.ran).toBe("cleanup;");
    expect(result(third)).toMatchObject({ runId, status: "succeeded", exitCode: 0 });
    expect(statusOf(runId).state.status).toBe("succeeded");

    // A re-run of the last job finds the release done: exit 2, nothing ran again.
    const rerun = job(["resume", runId, "-f", "release.yaml"]);
    expect(rerun.code).toBe(2);
    expect(rerun.ran).toBe("");
  }, 240_000); // eight CLI processes one after another on a shared, loaded machine

  it("cutover step runs the one step a job names, and refuses one whose earlier steps have not run", () => {
    const first = job(["run", "release.yaml", "--until", "deploy"]);
    expect(first.code, first.stderr).toBe(10);
    const runId = jsonLines(first.stdout)[0]!.runId as string;
    const early = job(["step", runId, "swap", "-f", "release.yaml"]);
    expect(early.code).toBe(2);
    expect(early.stderr + early.stdout).toContain("warm before swap has not run yet");
    expect(early.ran).toBe("");
    const warm = job(["step", runId, "warm", "-f", "release.yaml"]);
    expect(warm.code, warm.stderr).toBe(10);
    expect(warm.ran).toBe("warm;");
    const rest = job(["resume", runId, "-f", "release.yaml"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.ran).toBe("swap;cleanup;");
  }, 240_000);
});
