import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec } from "../../src/actions/exec.js";
import { identify } from "../../src/actions/support/process-identity.js";
import { ErrorCode } from "../../src/core/errors.js";
import { failureOf, makeContext, runAction } from "../support/context.js";
import { isAlive, nodeScript, waitFor } from "../support/processes.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cutover-exec-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("exec", () => {
  it("runs argv without a shell and returns exit code and trimmed stdout", async () => {
    const { ctx, seen } = makeContext();
    // `$HOME` and `;` would be expanded by a shell; passed as argv they arrive verbatim.
    const r = await runAction(
      exec,
      { command: nodeScript("console.log(JSON.stringify(process.argv.slice(1)))", "$HOME; echo hi") },
      ctx,
    );
    expect(r.outputs?.exitCode).toBe(0);
    expect(r.outputs?.stdout).toBe('["$HOME; echo hi"]');
    expect(seen.info).toContain('["$HOME; echo hi"]');
  });

  it("passes numbers and booleans from whole-string expressions as text", async () => {
    const { ctx } = makeContext();
    const r = await runAction(
      exec,
      { command: [...nodeScript("console.log(JSON.stringify(process.argv.slice(1)))"), 3, true] },
      ctx,
    );
    expect(r.outputs?.stdout).toBe('["3","true"]');
  });

  it("fails with the exit code and the last stderr lines", async () => {
    const { ctx } = makeContext();
    const script = "for (let i = 1; i <= 15; i++) console.error('line ' + i); process.exit(3)";
    const e = await failureOf(runAction(exec, { command: nodeScript(script) }, ctx));
    expect(e.code).toBe(ErrorCode.StepFailed);
    expect(e.message).toContain("exited with code 3");
    expect(e.message).toContain("line 15");
    expect(e.message).toContain("line 6");
    expect(e.message).not.toContain("line 5\n");
    expect(e.details?.exitCode).toBe(3);
  });

  it("accepts the exit codes listed in successCodes", async () => {
    const { ctx } = makeContext();
    const r = await runAction(exec, { command: nodeScript("process.exit(3)"), successCodes: [0, 3] }, ctx);
    expect(r.outputs?.exitCode).toBe(3);
  });

  it("sets env over the inherited environment, or over PATH alone with inheritEnv: false", async () => {
    process.env.CUTOVER_TEST_INHERITED = "from-parent";
    try {
      const script =
        "console.log(JSON.stringify([process.env.CUTOVER_TEST_INHERITED ?? null, process.env.MY_PORT, " +
        "!!process.env.PATH]))";
      const inherited = await runAction(
        exec,
        { command: nodeScript(script), env: { MY_PORT: 8080 } },
        makeContext().ctx,
      );
      expect(JSON.parse(inherited.outputs?.stdout as string)).toEqual(["from-parent", "8080", true]);
      const clean = await runAction(
        exec,
        { command: nodeScript(script), env: { MY_PORT: "1" }, inheritEnv: false },
        makeContext().ctx,
      );
      expect(JSON.parse(clean.outputs?.stdout as string)).toEqual([null, "1", true]);
    } finally {
      delete process.env.CUTOVER_TEST_INHERITED;
    }
  });

  it("runs in cwd relative to the playbook directory and feeds stdin", async () => {
    await mkdir(path.join(dir, "sub"), { recursive: true });
    const { ctx } = makeContext({ baseDir: dir });
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(process.cwd()+'|'+s.toUpperCase()))";
    const r = await runAction(exec, { command: nodeScript(script), cwd: "sub", input: "hello" }, ctx);
    expect(r.outputs?.stdout).toBe(`${path.join(dir, "sub")}|HELLO`);
  });

  it("refuses a missing cwd before starting anything", async () => {
    const e = await failureOf(
      runAction(exec, { command: nodeScript("0"), cwd: "nope" }, makeContext({ baseDir: dir }).ctx),
    );
    expect(e.message).toContain("does not exist");
    expect(e.retryable).toBe(false);
  });

  it("reports a program that cannot be found as not retryable, with a hint", async () => {
    const e = await failureOf(runAction(exec, { command: ["cutover-no-such-program", "x"] }, makeContext().ctx));
    expect(e.message).toContain("ENOENT");
    expect(e.retryable).toBe(false);
    expect(e.hint).toContain("without a shell");
  });

  it("redacts secrets in logged lines, outputs and failure messages", async () => {
    const secret = "s3cr3t-Token-42";
    const { ctx, seen } = makeContext({ secrets: [secret] });
    const script =
      "console.log('token=' + process.env.TOKEN); console.error('bad ' + process.env.TOKEN); process.exit(1)";
    const e = await failureOf(runAction(exec, { command: nodeScript(script), env: { TOKEN: secret } }, ctx));
    expect(e.message).toContain("bad ***");
    expect(e.message).not.toContain(secret);
    expect(seen.info).toEqual(expect.arrayContaining(["token=***", "bad ***"]));
    expect(JSON.stringify(seen)).not.toContain(secret);

    const ok = await runAction(
      exec,
      { command: nodeScript("console.log('a ' + process.argv[1])", secret) },
      makeContext({ secrets: [secret] }).ctx,
    );
    expect(ok.outputs?.stdout).toBe("a ***");
  });

  it("keeps only the tail of a large output", async () => {
    const script = "for (let i = 0; i < 5000; i++) console.log('row ' + i + ' ' + 'x'.repeat(40))";
    const r = await runAction(exec, { command: nodeScript(script) }, makeContext().ctx);
    const out = r.outputs?.stdout as string;
    expect(out.length).toBeLessThanOrEqual(64 * 1024);
    expect(out.length).toBeGreaterThan(32 * 1024);
    expect(out.startsWith("row ")).toBe(true);
    expect(out.endsWith("row 4999 " + "x".repeat(40))).toBe(true);
  });

  it("reads outputs from a JSON object on the last stdout line with parseJson", async () => {
    const secret = "hunter2hunter2";
    const script =
      `console.log('building'); console.log(JSON.stringify({ version: '2.1.0', count: 3, token: '${secret}', ` +
      `exitCode: 99 }))`;
    const { ctx, seen } = makeContext({ secrets: [secret] });
    const r = await runAction(exec, { command: nodeScript(script), parseJson: true }, ctx);
    expect(r.outputs).toMatchObject({ version: "2.1.0", count: 3, token: "***", exitCode: 0 });
    expect(seen.warn.join()).toContain('"exitCode" is reserved');

    const bad = await failureOf(
      runAction(exec, { command: nodeScript("console.log('done')"), parseJson: true }, makeContext().ctx),
    );
    expect(bad.message).toContain("not a JSON object: done");
  });

  it("leaves out a __proto__ key of parseJson output instead of replacing the outputs' prototype", async () => {
    const script = `console.log('{"__proto__": {"polluted": "yes"}, "version": "2"}')`;
    const { ctx, seen } = makeContext();
    const r = await runAction(exec, { command: nodeScript(script), parseJson: true }, ctx);
    expect(Object.getPrototypeOf(r.outputs)).toBe(Object.prototype);
    expect((r.outputs as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.outputs).toMatchObject({ version: "2", exitCode: 0 });
    expect(seen.warn.join()).toContain('"__proto__" cannot be an output name');
  });

  it("on abort terminates the process group (SIGKILL after killAfter) and rethrows the abort reason", async () => {
    const controller = new AbortController();
    const { ctx, seen } = makeContext({ signal: controller.signal });
    // The program ignores SIGTERM and has a child of its own; both must be gone after the abort.
    const script = [
      "process.on('SIGTERM', () => console.log('ignoring SIGTERM'));",
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { " +
        "stdio: 'ignore' });",
      "console.log('pids ' + process.pid + ' ' + c.pid);",
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const running = runAction(exec, { command: nodeScript(script), killAfter: "300ms" }, ctx);
    const line = await waitFor(() => seen.info.find((l) => l.startsWith("pids ")));
    const [pid, childPid] = line.split(" ").slice(1).map(Number) as [number, number];
    expect(isAlive(pid)).toBe(true);
    const reason = new Error("step timed out");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(childPid), 2_000);
    expect(seen.info).toContain("ignoring SIGTERM");
  });

  it("journals the pid it started, and after a crash refuses to start a second copy while that one runs", async () => {
    const first = makeContext();
    await runAction(exec, { command: nodeScript("0") }, first.ctx);
    expect(first.seen.checkpoints).toEqual([{ pid: expect.any(Number), startTime: expect.any(String) }]);

    // Stand-in for the program a killed cutover left running.
    const orphan = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      await waitFor(() => orphan.pid !== undefined && identify(orphan.pid).startTime !== undefined);
      const marker = path.join(dir, "second-copy");
      const script = "require('fs').writeFileSync(process.argv[1], 'x')";
      const { ctx } = makeContext({ attempt: 2, priorCheckpoint: { ...identify(orphan.pid!) } });
      const e = await failureOf(runAction(exec, { command: nodeScript(script, marker) }, ctx));
      expect(e.message).toContain(`(pid ${orphan.pid}) is still running`);
      expect(e.retryable).toBe(false);
      await expect(stat(marker)).rejects.toThrow();

      // Same pid but another start time: a reused pid, not our program.
      const reused = makeContext({ priorCheckpoint: { pid: orphan.pid!, startTime: "1" } });
      await runAction(exec, { command: nodeScript(script, marker) }, reused.ctx);
      await stat(marker);
    } finally {
      orphan.kill("SIGKILL");
    }
  });

  it("refuses an empty command and a shell string at validation", () => {
    expect(exec.with.safeParse({ command: [] }).success).toBe(false);
    expect(exec.with.safeParse({ command: "ls -l" }).success).toBe(false);
    expect(exec.with.safeParse({ command: ["ls"], shell: true }).success).toBe(false);
    expect(exec.with.safeParse({ command: ["ls"], killAfter: "soon" }).success).toBe(false);
  });
});
