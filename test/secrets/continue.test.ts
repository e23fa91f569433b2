/**
 * A run continued by another process (`approve`, `resume`, `retry`) redacts
 * every secret the playbook references from the start, not only once a step
 * resolves it again (issue 14, item 1): here a later step prints a file in
 * which an earlier step wrote the secrets, and a secret param of type number.
 * `${{ env.CUTOVER_SECRET_X }}` is a secret too (item 4).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, tmpProject, type CliResult } from "../support/cli.js";
import { leaks } from "./sentinel-forms.js";

const API_KEY = 'cont-SENTINEL/"k y+7';
const TOKEN = "cont-token-SENTINEL-5d2e";
const PIN = 731904286;

const playbook = `version: 1
name: continue-secrets
params:
  token: { type: string, secret: true }
  pin: { type: number, secret: true }
steps:
  - id: from-env
    action: exec
    resume: rerun
    with:
      command: ["node", "-e", "console.log('env says ' + process.argv[1])", "\${{ env.CUTOVER_SECRET_PLAIN }}"]
  - id: write
    action: exec
    resume: rerun
    with:
      command: ["node", "-e", "require('fs').writeFileSync('leak.txt', process.argv.slice(1).join(' '))",
                "\${{ secrets.API_KEY }}", "\${{ params.token }}", "\${{ params.pin }}"]
  - id: approve-me
    action: gate.approval
    with: { message: "continue?" }
  - id: flaky
    action: exec
    resume: rerun
    onFailure: pause
    with:
      command: ["node", "-e", "
        const fs = require('fs');
        console.log('after: ' + fs.readFileSync('leak.txt', 'utf8'));
        console.error('as JSON: ' + JSON.stringify({ leak: fs.readFileSync('leak.txt', 'utf8') }));
        if (!fs.existsSync('retried')) { fs.writeFileSync('retried', ''); process.exit(1); }"]
`;

const PLAIN = "cont-plain-SENTINEL-c81d";
const env = {
  CUTOVER_SECRET_API_KEY: API_KEY,
  CUTOVER_PARAM_TOKEN: TOKEN,
  CUTOVER_PARAM_PIN: String(PIN),
  CUTOVER_SECRET_PLAIN: PLAIN,
};
let p: ReturnType<typeof tmpProject>;
const outputs: { step: string; r: CliResult }[] = [];

beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "playbook.yaml": playbook });
});
afterAll(() => p.cleanup());

function cli(step: string, args: string[]): CliResult {
  const r = runCli(args, { cwd: p.dir, env, json: true });
  outputs.push({ step, r });
  return r;
}

describe("secrets after approve, resume and retry", () => {
  it("runs to the gate, approves, resumes into a failure, retries to success", () => {
    const run = cli("run", ["run", "playbook.yaml"]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain("env says ***");
    const runId = String(JSON.parse(run.stdout.split("\n")[0]!).runId);
    // Recorded, not continued: the run still rests (exit 3) until resumed.
    expect(cli("approve", ["approve", runId, "--no-continue"]).code).toBe(3);
    const resumed = cli("resume", ["resume", runId]);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(resumed.stdout).toContain("after: *** *** ***");
    const retried = cli("retry", ["retry", runId]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain("after: *** *** ***");
    cli("status", ["status", runId]);
  });

  it("no process printed a secret, in any encoding, and the journal holds none", () => {
    const runs = path.join(p.dir, ".cutover", "runs");
    const read = (f: string): [string, string] => [f, fs.readFileSync(path.join(runs, f), "utf8")];
    const journals = fs.readdirSync(runs).map(read);
    const texts = outputs.flatMap(({ step, r }): [string, string][] => [
      [`${step} stdout`, r.stdout],
      [`${step} stderr`, r.stderr],
    ]);
    const secrets = [API_KEY, TOKEN, String(PIN), PLAIN];
    const found = [...texts, ...journals].flatMap(([where, text]) => leaks(secrets, where, text));
    expect(found).toEqual([]);
  });
});
