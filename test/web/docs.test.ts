/**
 * docs/web.md stays true to the command: its option table lists exactly the options `cutover serve --help`
 * offers, its example command lines parse, and the screenshots it shows are committed PNG files.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, requireBuilt, runCli } from "../support/cli.js";

const doc = fs.readFileSync(path.join(ROOT, "docs/web.md"), "utf8");

describe("docs/web.md", () => {
  it("documents exactly the options of cutover serve", () => {
    requireBuilt();
    const help = runCli(["serve", "--help"]).stdout;
    const offered = new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!));
    offered.delete("--help");
    const table = doc.slice(doc.indexOf("| option"), doc.indexOf("\n\n", doc.indexOf("| option")));
    const documented = new Set([...table.matchAll(/^\| `(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!));
    expect([...documented].sort()).toEqual([...offered].sort());
  });

  it("its example command lines are valid serve invocations", () => {
    const block = /```sh\n([^]*?)```/.exec(doc)![1]!;
    const lines = block.split("\n").filter((l) => l.includes("cutover serve"));
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      const args = line.replace(/#.*$/, "").split("cutover serve")[1]!.trim().split(/\s+/).filter(Boolean);
      // --help after the options: commander checks every option and value, then prints help instead of serving.
      const r = runCli(["serve", ...args, "--help"]);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    }
  });

  it("shows screenshots that are committed PNG files", () => {
    const images = [...doc.matchAll(/!\[[^\]]*\]\((images\/[^)]+)\)/g)].map((m) => m[1]!);
    expect(images).toEqual(["images/web-runs.png", "images/web-run-gate.png"]);
    for (const image of images) {
      const bytes = fs.readFileSync(path.join(ROOT, "docs", image));
      expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    }
  });
});
