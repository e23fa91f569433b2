/**
 * The commands cutover prints work as typed: run through `npx cutover` (after `npm ci` the bin is on no shell's
 * PATH), its hints say `npx cutover …`; run directly, `cutover …`. The packed-and-installed version of this is
 * in pack.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { asTyped, COMMANDS } from "../../src/cli/typed-command.js";
import { requireBuilt, runCli } from "../support/cli.js";

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-typed-"));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe("commands as typed", () => {
  it("knows every top-level command of the program", async () => {
    const names = (await buildProgram()).commands.map((c) => c.name()).filter((n) => n !== "help");
    expect([...COMMANDS].sort()).toEqual(names.sort());
  });

  it("rewrites mentions of cutover commands for npx, and nothing else", () => {
    const p = "npx cutover";
    expect(asTyped("(see: cutover local status; stop it: cutover local down)", p)).toBe(
      "(see: npx cutover local status; stop it: npx cutover local down)",
    );
    expect(asTyped("continue with: cutover resume r1", p)).toBe("continue with: npx cutover resume r1");
    expect(asTyped("start it with `cutover local up`", p)).toBe("start it with `npx cutover local up`");
    for (const same of [
      "the cutover process that ran it is gone",
      "already typed: npx cutover run x.yaml",
      "a file .cutover run by nobody",
      "this looks like a bug in cutover; run again with --verbose",
    ]) {
      expect(asTyped(same, p)).toBe(same);
    }
    expect(asTyped("continue with: cutover resume r1", "cutover")).toBe("continue with: cutover resume r1");
  });

  it("the built CLI says `npx cutover …` when npx started it, `cutover …` otherwise", () => {
    requireBuilt();
    // What npx sets for `npx cutover local status` (the arguments are not part of the script).
    const npx = { npm_command: "exec", npm_lifecycle_event: "npx", npm_lifecycle_script: "'cutover'" };
    const viaNpx = runCli(["local", "status"], { stateDir, env: npx });
    expect(viaNpx.code).toBe(1);
    expect(viaNpx.stdout + viaNpx.stderr).toContain("start it with `npx cutover local up`");
    for (const env of [
      { npm_command: undefined, npm_lifecycle_script: undefined }, // a shell, or a global install
      { ...npx, npm_lifecycle_script: "'vitest'" }, // started by a program npx ran
      { ...npx, npm_command: "test", npm_lifecycle_script: "vitest run" }, // by an npm script
    ]) {
      const direct = runCli(["local", "status"], { stateDir, env });
      expect(direct.stdout + direct.stderr).toContain("start it with `cutover local up`");
    }
  });
});
