/**
 * End to end, the built CLI: a secret given as CUTOVER_SECRET_API_KEY and a
 * secret param, used in exec output, an HTTP check (URL and headers) and
 * while the local environment is started; the run pauses at a gate, another
 * process approves, the run finishes. The sentinel, and its percent, base64
 * and JSON-escaped forms, appear nowhere: not in any command's stdout or
 * stderr (`-o json` included), the journal, `status -o json`, any file of
 * the state directory (the local environment's state, logs, tokens), nor in
 * `/proc/<pid>/environ` of the supervisor and the apps cutover started.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, tmpProject, type CliResult } from "../support/cli.js";
import { filesUnder } from "../support/files.js";
import { destroyLocal } from "../local/env.js";
import { leaks as findLeaks } from "./sentinel-forms.js";

const API_KEY = 'SENTINEL-api/"k y+z-41c7';
const TOKEN = "SENTINEL-token-9e0b+/=";
const env = { CUTOVER_SECRET_API_KEY: API_KEY, CUTOVER_PARAM_TOKEN: TOKEN, OTHER_SHELL_VAR: "harmless" };

const app = `
const http = require("http");
http.createServer((req, res) => {
  if (req.url === "/health") return res.end("ok");
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ url: req.url, headers: req.headers, env: process.env }));
}).listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

const print = `
const [key, token] = process.argv.slice(2);
console.log("raw", key, token);
console.log("url https://x.example/?k=" + encodeURIComponent(key) + "&t=" + encodeURIComponent(token));
console.log("basic", Buffer.from("user:" + key).toString("base64"), Buffer.from(token).toString("base64"));
console.error(JSON.stringify({ key, token }));
require("fs").writeFileSync("leak.txt", key + " " + token);
`;

const playbook = `version: 1
name: sentinel
environment:
  app: { provider: local, dir: .cutover/local, baseline: { version: v1, command: ["node", "app.js"] } }
params:
  token: { type: string, secret: true }
steps:
  - id: deploy
    action: local.deploy
    with: { version: v2, command: ["node", "app.js"], env: { APP_NAME: green }, healthTimeout: 20s }
  - id: print
    action: exec
    resume: rerun
    with: { command: ["node", "print.js", "\${{ secrets.API_KEY }}", "\${{ params.token }}"] }
  - id: check
    action: http.check
    with:
      url: "\${{ steps.deploy.outputs.url }}/echo?key=\${{ secrets.API_KEY }}"
      headers: { X-Api-Key: "\${{ secrets.API_KEY }}", Authorization: "Bearer \${{ params.token }}" }
      expect: { status: 200 }
  - id: go
    action: gate.approval
    with: { message: "go?" }
  - id: after
    action: exec
    resume: rerun
    with: { command: ["node", "-e", "console.log('after approve: ' + require('fs').readFileSync('leak.txt', 'utf8'))"] }
  - id: swap
    action: local.swap
`;

let p: ReturnType<typeof tmpProject>;
const texts: [string, string][] = [];
const results: Record<string, CliResult> = {};
const pids: { what: string; pid: number }[] = [];
const ports: number[] = [];

function cli(what: string, args: string[]): CliResult {
  const r = runCli(args, { cwd: p.dir, env, json: true });
  texts.push([`${what} stdout`, r.stdout], [`${what} stderr`, r.stderr]);
  results[what] = r;
  return r;
}

beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "playbook.yaml": playbook, "app.js": app, "print.js": print });
  const run = cli("run", ["run", "playbook.yaml"]);
  const runId = String(JSON.parse(run.stdout.split("\n")[0] ?? "{}").runId);
  cli("approve", ["approve", runId]);
  cli("status", ["status", runId]);
  cli("watch", ["status", runId, "--watch"]);
  const local = path.join(p.dir, ".cutover", "local");
  const read = <T>(name: string): T | undefined => {
    const file = path.join(local, name);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as T) : undefined;
  };
  const supervisor = read<{ pid: number; adminPort: number; publicPort: number }>("supervisor.json");
  if (supervisor) ports.push(supervisor.adminPort, supervisor.publicPort);
  if (supervisor) pids.push({ what: "supervisor", pid: supervisor.pid });
  const state = read<{ slots: Record<string, { pid?: number }> }>("state.json");
  for (const [slot, rec] of Object.entries(state?.slots ?? {})) {
    if (rec.pid) pids.push({ what: `app ${slot}`, pid: rec.pid });
  }
});
afterAll(async () => {
  await destroyLocal(path.join(p.dir, ".cutover", "local"));
  p.cleanup();
});

function leaks(where: string, text: string): string[] {
  return findLeaks([API_KEY, TOKEN], where, text);
}

describe("a sentinel secret through a whole release", () => {
  it("runs to the gate, is approved from another process and finishes", () => {
    expect(results.run!.code, results.run!.stderr).toBe(3);
    expect(results.run!.stdout).toContain("raw *** ***");
    expect(results.approve!.code, results.approve!.stderr).toBe(0);
    expect(results.approve!.stdout).toContain("after approve: *** ***");
    expect(results.status!.code).toBe(0);
    expect(results.watch!.code).toBe(0);
  });

  it("leaves the sentinel nowhere: output, journal, status, state files", () => {
    const files = filesUnder(p.dir).filter((f) => !f.endsWith("leak.txt"));
    expect(files.some((f) => f.includes(`${path.sep}runs${path.sep}`))).toBe(true);
    expect(files.some((f) => f.endsWith("state.json"))).toBe(true);
    const found = [
      ...texts.flatMap(([where, text]) => leaks(where, text)),
      ...files.flatMap((f) => leaks(path.relative(p.dir, f), fs.readFileSync(f, "latin1"))),
    ];
    expect(found).toEqual([]);
  });

  it("hands none of cutover's secret variables to the processes it started", () => {
    expect(pids.map((x) => x.what).sort()).toEqual(["app blue", "app green", "supervisor"]);
    for (const { what, pid } of pids) {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      expect(leaks(`${what} environ`, environ.join("\n"))).toEqual([]);
      expect(environ.filter((v) => /^(CUTOVER_SECRET_|CUTOVER_PARAM_|OTHER_SHELL_VAR=)/.test(v))).toEqual([]);
      expect(environ.some((v) => v.startsWith("PATH="))).toBe(true);
    }
  });

  it("serves the admin API (and the proxy) on loopback only, its token file 0600", () => {
    // /proc/net/tcp: local address as hex ip:port, state 0A = LISTEN; 0100007F is 127.0.0.1.
    const listening = fs
      .readFileSync("/proc/net/tcp6", "utf8")
      .concat(fs.readFileSync("/proc/net/tcp", "utf8"))
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === "0A")
      .map((f) => f[1]!);
    expect(ports).toHaveLength(2);
    for (const port of ports) {
      const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
      expect(listening.filter((a) => a.endsWith(hex))).toEqual([`0100007F${hex}`]);
    }
    const token = path.join(p.dir, ".cutover", "local", "admin.token");
    expect(fs.statSync(token).mode & 0o777).toBe(0o600);
  });
});
