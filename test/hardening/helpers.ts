/**
 * Helpers of the hardening suite: run the built CLI with a time bound (a
 * hang must fail the test, not stall it), write playbooks into a temp
 * project, and check a refusal: exit 2, located, never an internal error.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { BIN } from "../support/cli.js";

export interface Run {
  /** Exit code; "timeout" when the time bound killed it (a hang). */
  code: number | "timeout" | null;
  stdout: string;
  stderr: string;
}

/** The built CLI in `cwd`, killed after `timeoutMs` (then code is "timeout"). */
export function cli(cwd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", CI: "true", CUTOVER_STATE_DIR: undefined, ...o.env },
    encoding: "utf8",
    timeout: o.timeoutMs ?? 20_000,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  return { code: timedOut ? "timeout" : r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A temp directory with `files` (name → text); removed by `cleanup`. */
export function project(files: Record<string, string> = {}): {
  dir: string;
  file(name: string): string;
  cleanup(): void;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-hardening-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { dir, file: (name) => path.join(dir, name), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A playbook of one step, with `extra` YAML lines appended under `steps:` items or at the top. */
export function playbook(opts: { params?: string; step?: string; name?: string } = {}): string {
  return [
    "version: 1",
    `name: ${opts.name ?? "hardening"}`,
    ...(opts.params ? ["params:", opts.params] : []),
    "steps:",
    opts.step ?? "  - id: settle\n    action: wait.duration\n    with: { duration: 0s }",
    "",
  ].join("\n");
}

/** Exit 2, `fragment` in the output, a file:line:col when `at` is given, and no internal error or stack. */
export function expectRefused(r: Run, fragment: string | RegExp, at?: string | RegExp): void {
  const out = r.stdout + r.stderr;
  expect(out).not.toContain("INTERNAL");
  expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
  if (typeof fragment === "string") expect(out).toContain(fragment);
  else expect(out).toMatch(fragment);
  if (at !== undefined) {
    if (typeof at === "string") expect(out).toContain(at);
    else expect(out).toMatch(at);
  }
  expect(r.code, out).toBe(2);
}
