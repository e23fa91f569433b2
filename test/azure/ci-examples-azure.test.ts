/**
 * The Azure CI examples of docs/azure.md (examples/ci/github-actions-azure.yml, examples/ci/azure-pipelines-azure.yml)
 * parsed as YAML and checked for what their sign-in needs (GitHub: `id-token: write` and auth mode github-oidc;
 * Azure Pipelines: AzureCLI@2 with System.AccessToken mapped and auth mode azure-pipelines). Every cutover command
 * in them is parsed by the real CLI's argument parser (its actions replaced, so nothing runs), and a `run` is
 * planned with the built CLI on the playbook it names with the params the workflow gives (nothing changes).
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { ROOT, runCli } from "../support/cli.js";

type Obj = Record<string, unknown>;
const read = (file: string) => parse(fs.readFileSync(path.join(ROOT, "examples/ci", file), "utf8")) as Obj;
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** Every object in `node` (depth first), for finding steps and tasks wherever jobs nest them. */
function* objects(node: unknown): Generator<Obj> {
  if (Array.isArray(node)) for (const x of node) yield* objects(x);
  else if (node && typeof node === "object") {
    yield node as Obj;
    for (const v of Object.values(node)) yield* objects(v);
  }
}

interface Command {
  argv: string[];
  env: Record<string, string>;
  step: Obj;
}

/** `npx cutover …` lines of a script, as argv after substituting the pipeline's variables. */
function commands(script: string, vars: Record<string, string>, env: Record<string, string>, step: Obj): Command[] {
  return script
    .split("\n")
    .filter((l) => /\bnpx cutover\b/.test(l) && !l.trim().startsWith("#"))
    .map((line) => {
      const text = line
        .replace(/\|\|.*$/, "")
        .replace(/\$\(([\w.]+)\)|\$\{?(\w+)\}?/g, (_m, a?: string, b?: string) => {
          const v = vars[(a ?? b) as string];
          if (v === undefined) throw new Error(`the example uses ${a ?? b}, which this test does not provide`);
          return v;
        });
      const argv = [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
      expect(argv.slice(0, 2)).toEqual(["npx", "cutover"]);
      return { argv: argv.slice(2), env, step };
    });
}

/** Parse argv with the real CLI, every command's action replaced by a no-op: throws on an unknown option or value. */
async function parseWithCli(argv: string[]): Promise<string> {
  const program = await buildProgram();
  let ran = "";
  for (const c of program.commands) c.action(() => void (ran = c.name()));
  program.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
  await program.parseAsync(["node", "cutover", ...argv]);
  return ran;
}

/** Plan the `run` with the built CLI, the params from the workflow's environment: the playbook validates. */
function plan(c: Command, stepIds: string[]) {
  const playbook = c.argv[1] as string;
  for (const flag of ["--until", "--only"]) {
    const i = c.argv.indexOf(flag);
    if (i >= 0) expect(stepIds).toContain(c.argv[i + 1]);
  }
  const params = Object.keys(c.env)
    .filter((k) => k.startsWith("CUTOVER_PARAM_"))
    .map((k) => k.slice("CUTOVER_PARAM_".length).toLowerCase());
  const declared = Object.keys(
    (parse(fs.readFileSync(path.join(ROOT, playbook), "utf8")) as { params: Obj }).params,
  ).map((p) => p.toLowerCase());
  for (const p of params) expect(declared, `CUTOVER_PARAM_${p.toUpperCase()}`).toContain(p);
  const r = runCli(["plan", playbook], { cwd: ROOT, env: { ...c.env, CI: "true" } });
  expect(r.code, r.stderr).toBe(0);
}

const stepIds = () =>
  (
    (parse(fs.readFileSync(path.join(ROOT, "playbooks/azure-appservice.yaml"), "utf8")) as { steps: { id: string }[] })
      .steps ?? []
  ).map((s) => s.id);

describe("the check itself", () => {
  it("refuses what the CLI refuses: an unknown auth mode, an unknown option", async () => {
    await expect(parseWithCli(["run", "p.yaml", "--auth", "github"])).rejects.toThrow(/github-oidc/);
    await expect(parseWithCli(["resume", "-f", "p.yaml", "--untill", "swap"])).rejects.toThrow(/unknown option/);
    expect(await parseWithCli(["abort", "-f", "p.yaml", "--auth", "azure-pipelines", "--reason", "r"])).toBe("abort");
  });
});

describe("examples/ci/github-actions-azure.yml", () => {
  const wf = read("github-actions-azure.yml");
  const env = wf.env as Record<string, string>;
  const vars: Record<string, string> = {
    PLAYBOOK: env.PLAYBOOK as string,
    GITHUB_RUN_ID: "42",
  };
  const expr = (v: string) =>
    v.replace(/\$\{\{\s*(inputs|vars|secrets)\.(\w+)\s*\}\}/g, (_m, _k, n: string) =>
      n === "version" ? "2.4.0" : n === "AZURE_SUBSCRIPTION_ID" ? "00000000-0000-0000-0000-000000000000" : `x-${n}`,
    );
  const all: Command[] = [];
  for (const job of Object.values(wf.jobs as Obj) as Obj[]) {
    for (const step of (job.steps as Obj[]) ?? []) {
      if (typeof step.run !== "string") continue;
      const stepEnv = Object.fromEntries(
        Object.entries({ ...env, ...((step.env as Obj) ?? {}) }).map(([k, v]) => [k, expr(String(v))]),
      );
      all.push(...commands(step.run, vars, stepEnv, step));
    }
  }

  it("asks GitHub for an OIDC token and signs in with auth mode github-oidc; no Azure secret", () => {
    expect(wf.permissions).toMatchObject({ "id-token": "write" });
    expect(env.CUTOVER_AZURE_AUTH).toBe("github-oidc");
    expect(env.AZURE_CLIENT_ID).toMatch(/vars\.AZURE_CLIENT_ID/);
    expect(JSON.stringify(wf)).not.toMatch(/AZURE_CLIENT_SECRET|azure\/login/);
    // The run lives in Azure Table Storage, so later jobs (fresh runners) continue it.
    const pb = parse(fs.readFileSync(path.join(ROOT, env.PLAYBOOK as string), "utf8")) as {
      environment: { state: { provider: string } };
    };
    expect(pb.environment.state.provider).toBe("azure-table");
  });

  it("every cutover command is a valid invocation, and the run plans with the workflow's params", async () => {
    expect(all.map((c) => c.argv[0])).toEqual(["validate", "run", "resume", "abort"]);
    for (const c of all) {
      process.env = { ...saved };
      expect(await parseWithCli(c.argv)).toBe(c.argv[0]);
      if (c.argv[0] === "run") plan(c, stepIds());
      if (c.argv[0] === "validate") {
        const r = runCli(c.argv, { cwd: ROOT });
        expect(r.code, r.stderr + r.stdout).toBe(0);
      }
    }
  });
});

describe("examples/ci/azure-pipelines-azure.yml", () => {
  const pl = read("azure-pipelines-azure.yml");
  const variables = pl.variables as Record<string, string>;
  const vars: Record<string, string> = { ...variables, "Build.BuildId": "42" };
  const all: Command[] = [];
  for (const o of objects(pl.stages)) {
    const inputs = o.inputs as Obj | undefined;
    const script = typeof o.script === "string" ? o.script : (inputs?.inlineScript as string | undefined);
    if (!script) continue;
    const env = Object.fromEntries(
      Object.entries({ ...variables, ...((o.env as Obj) ?? {}) }).map(([k, v]) => [
        k,
        String(v).replace(/\$\{\{\s*parameters\.version\s*\}\}/, "2.4.0"),
      ]),
    );
    all.push(...commands(script, vars, { ...env, AZURE_SUBSCRIPTION_ID: "00000000-0000-0000-0000-000000000000" }, o));
  }

  it("runs cutover in AzureCLI@2 tasks with System.AccessToken mapped and auth mode azure-pipelines", () => {
    expect(all.length).toBeGreaterThan(0);
    for (const c of all) {
      if (c.argv[0] === "validate") continue;
      expect(c.step.task).toBe("AzureCLI@2");
      expect((c.step.inputs as Obj).azureSubscription).toBeTruthy();
      expect((c.step.env as Obj).SYSTEM_ACCESSTOKEN).toBe("$(System.AccessToken)");
      expect(c.argv).toEqual(expect.arrayContaining(["--auth", "azure-pipelines"]));
    }
  });

  it("every cutover command is a valid invocation, and the run plans with the pipeline's params", async () => {
    expect(all.map((c) => c.argv[0])).toEqual(["validate", "run", "resume", "abort"]);
    for (const c of all) {
      process.env = { ...saved };
      expect(await parseWithCli(c.argv)).toBe(c.argv[0]);
      if (c.argv[0] === "run") plan(c, stepIds());
    }
  });
});
