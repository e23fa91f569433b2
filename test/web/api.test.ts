/**
 * The serve API's security model over real HTTP (docs/web.md): actions need the token in the Authorization
 * header (none, a wrong one, another origin, a form-like post: refused, the run untouched), the server answers
 * loopback names only, binds loopback unless --allow-remote, and takes a token from the environment on request.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, requireBuilt, runCli, startCli, tmpProject } from "../support/cli.js";
import { startServe, type Served } from "./serve-process.js";

const gated = `
version: 1
name: web-api
steps:
  - id: warm
    action: exec
    with: { command: ["node", "-e", "console.log('warm')"] }
  - id: swap-ok
    action: gate.approval
    with: { message: "swap?" }
`;

let p: ReturnType<typeof tmpProject>;
let served: Served;
let runId: string;
beforeAll(async () => {
  requireBuilt();
  p = tmpProject({ "gate.yaml": gated });
  const r = runCli(["run", "gate.yaml", "-o", "json"], { cwd: p.dir });
  expect(r.code, r.stderr).toBe(3);
  runId = jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
  served = await startServe(p.dir, ["--as", "api-tester"]);
});
afterAll(async () => {
  expect(await served?.stop()).toBe(0);
  p?.cleanup();
});

const statusOf = () =>
  (jsonLines(runCli(["status", runId, "-o", "json"], { cwd: p.dir }).stdout)[0] as { state: { status: string } }).state
    .status;

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(new URL(path, served.url), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("cutover serve API", () => {
  it("reads runs without the token on loopback, with security headers", async () => {
    const res = await fetch(new URL("/api/runs", served.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("set-cookie")).toBeNull();
    const body = (await res.json()) as { environments: { environment: string; runs: { runId: string }[] }[] };
    expect(body.environments[0]).toMatchObject({ environment: "web-api", runs: [{ runId, status: "paused" }] });
    const view = (await (await fetch(new URL(`/api/runs/${runId}`, served.url))).json()) as {
      can: { approve?: string; abort: boolean };
    };
    expect(view.can).toMatchObject({ approve: "swap-ok", abort: true });
  });

  it("refuses a decision without the token, with a wrong one, and from another origin", async () => {
    const approve = { decision: "approve", stepId: "swap-ok" };
    expect((await post(`/api/runs/${runId}/decisions`, approve)).status).toBe(401);
    const wrong = await post(`/api/runs/${runId}/decisions`, approve, { authorization: `Bearer ${served.token}x` });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain("valid token");
    // A token in the query string is not a token (it would end up in logs and browser history).
    expect((await post(`/api/runs/${runId}/decisions?token=${served.token}`, approve)).status).toBe(401);
    // What a page on another site can send: a form-like post without the header, or a fetch with its own Origin.
    const form = await post(`/api/runs/${runId}/decisions`, "decision=approve", {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://evil.example",
    });
    expect(form.status).toBe(403);
    const cross = await post(`/api/runs/${runId}/decisions`, approve, {
      origin: "http://evil.example",
      authorization: `Bearer ${served.token}`,
    });
    expect(cross.status).toBe(403);
    const plain = await post(`/api/runs/${runId}/decisions`, JSON.stringify(approve), {
      "content-type": "text/plain",
      authorization: `Bearer ${served.token}`,
    });
    expect(plain.status).toBe(415);
    expect(statusOf()).toBe("paused");
    expect(served.proc.stderr()).not.toContain("approve swap-ok on run");
  });

  it("answers loopback names only (a rebound DNS name is refused)", async () => {
    const { port } = new URL(served.url);
    const r = await new Promise<number>((resolve, reject) => {
      // fetch cannot set Host; a raw request can, as a browser on a rebound name would.
      import("node:http").then(({ request }) => {
        const req = request({ host: "127.0.0.1", port, path: "/api/runs", headers: { host: `evil.example:${port}` } });
        req.on("response", (res) => (res.resume(), resolve(res.statusCode!)));
        req.on("error", reject);
        req.end();
      }, reject);
    });
    expect(r).toBe(403);
  });

  it("a decision the run cannot take is refused with the reason; abort needs one", async () => {
    const auth = { authorization: `Bearer ${served.token}` };
    const retry = await post(`/api/runs/${runId}/decisions`, { decision: "retry", stepId: "warm" }, auth);
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { error: { message: string } }).error.message).toContain("step warm is succeeded");
    const abort = await post(`/api/runs/${runId}/decisions`, { decision: "abort", reason: "  " }, auth);
    expect(abort.status).toBe(400);
    const extra = await post(`/api/runs/${runId}/decisions`, { decision: "approve", by: "someone-else" }, auth);
    expect(extra.status).toBe(400);
    expect(statusOf()).toBe("paused");
  });

  it("prints the token once at start and never logs it", async () => {
    const auth = { authorization: `Bearer ${served.token}` };
    expect((await post("/api/token", {}, auth)).status).toBe(200);
    const before = served.proc.stderr().split(served.token).length;
    await fetch(new URL(`/api/runs/${runId}`, served.url), { headers: auth });
    expect(served.proc.stderr().split(served.token).length).toBe(before);
  });
});

describe("cutover serve flags", () => {
  it("refuses a non-loopback host without --allow-remote (exit 2, the danger named)", () => {
    const r = runCli(["serve", "--host", "0.0.0.0", "--port", "0"], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a loopback address");
    expect(r.stderr).toContain("--allow-remote");
  });

  it("a token from --token-env is not passed to the programs the runs it drives start", async () => {
    const q = tmpProject({
      "leak.yaml": `
version: 1
name: web-leak
steps:
  - id: ok
    action: gate.approval
  - id: show-env
    action: exec
    with: { command: ["node", "-e", "require('fs').writeFileSync('seen.txt', process.env.ONCALL_KEY ?? 'unset')"] }
`,
    });
    const key = "a-long-enough-shared-secret-456";
    const proc = startCli(["serve", "--port", "0", "--token-env", "ONCALL_KEY"], {
      cwd: q.dir,
      env: { ONCALL_KEY: key },
    });
    try {
      const r = runCli(["run", "leak.yaml", "-o", "json"], { cwd: q.dir });
      expect(r.code, r.stderr).toBe(3);
      const id = jsonLines(r.stdout).find((e) => e.type === "run.started")!.runId as string;
      await proc.waitForOutput("token: the value of $ONCALL_KEY");
      const url = /cutover serve: (http:\/\/\S+\/)/.exec(proc.stderr())![1]!;
      const res = await fetch(new URL(`/api/runs/${id}/decisions`, url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ decision: "approve", stepId: "ok" }),
      });
      expect(res.status).toBe(202);
      await proc.waitForOutput(`run ${id} is succeeded`);
      expect(fs.readFileSync(path.join(q.dir, "seen.txt"), "utf8")).toBe("unset");
    } finally {
      proc.child.kill("SIGTERM");
      expect((await proc.done).code).toBe(0);
      q.cleanup();
    }
  });

  it("--token-env reads the token from the environment; unset or short is a usage error", async () => {
    expect(runCli(["serve", "--port", "0", "--token-env", "WEB_TOKEN"], { cwd: p.dir }).code).toBe(2);
    const short = runCli(["serve", "--port", "0", "--token-env", "WEB_TOKEN"], {
      cwd: p.dir,
      env: { WEB_TOKEN: "short" },
    });
    expect(short.code).toBe(2);
    const token = "a-long-enough-shared-secret-123";
    // --allow-remote (here still on loopback): reading the runs needs the token too.
    const proc = startCli(["serve", "--port", "0", "--token-env", "WEB_TOKEN", "--allow-remote"], {
      cwd: p.dir,
      env: { WEB_TOKEN: token },
    });
    try {
      await proc.waitForOutput("token: the value of $WEB_TOKEN");
      expect(proc.stderr()).not.toContain(token);
      const url = /cutover serve: (http:\/\/\S+\/)/.exec(proc.stderr())![1]!;
      expect((await fetch(new URL("/api/runs", url))).status).toBe(401);
      const ok = await fetch(new URL("/api/runs", url), { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
    } finally {
      proc.child.kill("SIGTERM");
      expect((await proc.done).code).toBe(0);
    }
  });
});
