/** The CLI loads only the command a line names (src/cli/program.ts), and every command still parses as before. */
import { describe, expect, it } from "vitest";
import { buildProgram, COMMAND_MODULES, commandNamed } from "../../src/cli/program.js";

const names = (p: Awaited<ReturnType<typeof buildProgram>>) =>
  p.commands.map((c) => c.name()).filter((n) => n !== "help");

describe("the command a line names", () => {
  it("is its first word that is not a global option or an option's value", () => {
    expect(commandNamed(["status", "r1"])).toBe("status");
    expect(commandNamed(["--state-dir", "status", "runs"])).toBe("runs");
    expect(commandNamed(["-o", "json", "run", "p.yaml"])).toBe("run");
    expect(commandNamed(["--output=json", "-y", "approve"])).toBe("approve");
    expect(commandNamed(["--auth", "cli", "--junit", "j.xml", "resume"])).toBe("resume");
    expect(commandNamed(["--", "status"])).toBe("status");
    expect(commandNamed(["--help"])).toBeUndefined();
    expect(commandNamed([])).toBeUndefined();
  });
});

describe("buildProgram", () => {
  it("registers only the named command, and every command of the table under its own name", async () => {
    expect(names(await buildProgram(["--state-dir", "x", "status", "r1"]))).toEqual(["status"]);
    for (const name of Object.keys(COMMAND_MODULES)) expect(names(await buildProgram([name]))).toContain(name);
  });

  it("registers every command for help, an unknown command or none, in the table's order", async () => {
    const all = names(await buildProgram());
    expect(all).toEqual(names(await buildProgram(["help"])));
    expect(all).toEqual(names(await buildProgram(["stauts"])));
    expect(all).toEqual(names(await buildProgram([])));
    expect([...all].sort()).toEqual(Object.keys(COMMAND_MODULES).sort());
  });
});
