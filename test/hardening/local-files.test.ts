/**
 * Issue 14 item 14: what the local environment writes is its user's only.
 * Directories 0700 and files 0600 (logs/ was 0755 and the demo database
 * 0644); a pre-existing directory open to others is tightened with a
 * warning (it was used silently); a symbolic link planted as supervisor.log
 * is refused, not followed (the supervisor would append to its target).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../support/cli.js";
import { cli, project } from "./helpers.js";

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** Polls until `file` exists (the demo app creates its database when it starts). */
async function appears(file: string, ms = 20_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (fs.existsSync(file)) return true;
  return false;
}

let p: ReturnType<typeof project>;
let env: string;
beforeAll(() => {
  requireBuilt();
  p = project({ "target.txt": "someone else's file\n" });
  env = p.file("env");
  fs.mkdirSync(env);
  fs.chmodSync(env, 0o777);
  fs.symlinkSync(p.file("target.txt"), path.join(env, "supervisor.log"));
});
afterAll(() => {
  if (!p) return;
  cli(p.dir, ["local", "down", "--dir", env]);
  p.cleanup();
});

describe("local environment files", () => {
  it("refuses a supervisor.log symlink, and tightens an open directory with a warning", () => {
    const r = cli(p.dir, ["local", "up", "--dir", env]);
    expect(r.stderr).toContain(`warning: ${env} was open to other users (mode 0777)`);
    expect(r.stderr).toContain(`${path.join(env, "supervisor.log")} is a symbolic link; refusing to write through it`);
    expect(r.stderr).not.toContain("INTERNAL");
    expect(r.code).toBe(2);
    expect(mode(env)).toBe(0o700);
    expect(fs.readFileSync(p.file("target.txt"), "utf8")).toBe("someone else's file\n");
  });

  it("creates logs/ 0700 and the log files and demo database 0600", async () => {
    fs.rmSync(path.join(env, "supervisor.log"));
    const r = cli(p.dir, ["local", "up", "--dir", env], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await appears(path.join(env, "demo.sqlite"))).toBe(true);
    expect(mode(path.join(env, "logs"))).toBe(0o700);
    for (const f of ["supervisor.log", "demo.sqlite", "state.json", path.join("logs", "blue.log")]) {
      expect([f, mode(path.join(env, f)).toString(8)]).toEqual([f, "600"]);
    }
  });
});
