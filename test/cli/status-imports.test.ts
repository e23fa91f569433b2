/**
 * `cutover status` of a paused run must not load the actions, the providers, the YAML parser or zod: the
 * on-call's look at a run has a 100 ms budget, which their imports alone exceed (bench/engine/RESULTS.md).
 * Checked on the built dist/src with an ESM resolve hook recording every module the command resolves, after a
 * real run left its cache (api/run-view.ts); then again with the cache gone, when the playbook must be loaded.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, ROOT, runCli, tmpProject } from "../support/cli.js";
import { logResolvedModules } from "../support/resolve-log.js";

const PLAYBOOK = `version: 1
name: status-imports
environment:
  flags: { provider: file }
steps:
  - id: flag
    action: flag.set
    with: { name: Maintenance, value: true }
  - id: approve
    action: gate.approval
    with: { message: "swap?" }
`;

/** The modules `cutover status [run]` resolves in `dir`, and what it printed. */
function statusModules(dir: string, runId?: string): Promise<{ urls: string[]; out: string }> {
  const log = path.join(dir, "resolved.txt");
  const program = pathToFileURL(path.join(ROOT, "dist/src/cli/program.js")).href;
  const script = `${logResolvedModules(log)}
const { buildProgram } = await import(${JSON.stringify(program)});
const args = ${JSON.stringify(runId ? ["status", runId] : ["status"])};
await (await buildProgram(args)).parseAsync(["node", "cutover", ...args]);`;
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve({ urls: fs.readFileSync(log, "utf8").split("\n").filter(Boolean), out: stdout });
      },
    ),
  );
}

const HEAVY = [
  /\/node_modules\/zod\//,
  /\/node_modules\/yaml\//,
  /\/dist\/src\/runtime\.js$/,
  /\/dist\/src\/actions\//,
];
const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((re) => re.test(u)));

let project: ReturnType<typeof tmpProject>;
let runId: string;

beforeAll(() => {
  requireBuilt();
  project = tmpProject({ "playbook.yaml": PLAYBOOK });
  const r = runCli(["run", "playbook.yaml"], { cwd: project.dir, json: true });
  expect(r.code).toBe(3); // paused at the gate, its lease released
  runId = JSON.parse(r.stdout.split("\n")[0]!).runId as string;
}, 30_000);

afterAll(() => project?.cleanup());

describe("status of a paused run", () => {
  it("loads no action, provider registry, YAML parser or zod when the run's cache is warm", async () => {
    const { urls, out } = await statusModules(project.dir, runId);
    expect(out).toContain("PAUSED at approve");
    expect(urls.length).toBeGreaterThan(10); // the hook saw the command's modules
    expect(heavy(urls)).toEqual([]);
  });

  it("loads none of them either when the run is not named (the newest is taken)", async () => {
    const { urls, out } = await statusModules(project.dir);
    expect(out).toContain(`run ${runId}`);
    expect(heavy(urls)).toEqual([]);
  });

  it("loads the playbook's actions only when the cache is gone, and leaves it warm again", async () => {
    fs.rmSync(path.join(project.dir, ".cutover", "cache"), { recursive: true, force: true });
    const cold = await statusModules(project.dir, runId);
    expect(cold.out).toContain("PAUSED at approve");
    expect(heavy(cold.urls)).not.toEqual([]);
    expect(heavy((await statusModules(project.dir, runId)).urls)).toEqual([]);
  });
});
