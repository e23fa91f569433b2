/**
 * `--junit <file>` (docs/ci.md): a JUnit XML report of the run, parsed here with fast-xml-parser. The testsuite
 * is the run, a testcase each step with its time, <failure> for a failed step, <skipped> for a skipped one or one
 * not run yet; the file is replaced atomically after every command that ran steps, in any output mode.
 */
import fs from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { FAILING, NO_CI, PASSING, SECRET, fixture } from "./ci-fixtures.js";
import { xmlText } from "../../src/cli/render/junit.js";

interface Case {
  name: string;
  time: string;
  failure?: { "#text": string; message: string; type: string };
  skipped?: { message: string };
}

function parse(file: string) {
  const xml = fs.readFileSync(file, "utf8");
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => name === "testcase" || name === "property",
    processEntities: true,
  }).parse(xml) as { testsuites: { testsuite: Record<string, string> & { testcase: Case[] } } };
  return { xml, suite: doc.testsuites.testsuite };
}

const env = { ...NO_CI, CUTOVER_SECRET_TOKEN: SECRET };

describe("--junit", () => {
  it("reports each step of a paused run, then is replaced by the report of the finished run", () => {
    const fx = fixture("ci-junit");
    const pb = fx.file("release.yaml", PASSING);
    const report = path.join(fx.dir, "reports", "cutover.xml");
    const first = runCli(["--junit", report, "run", pb], { stateDir: fx.stateDir, env });
    expect(first.code).toBe(3); // paused at the gate
    const runId = /run (r[\d-]+[0-9a-f]+) started/.exec(first.stdout)![1]!;
    let { suite } = parse(report);
    expect(suite.name).toContain(runId);
    expect(suite.tests).toBe("4");
    expect(suite.failures).toBe("0");
    const byName = (s: typeof suite) => new Map(s.testcase.map((c) => [c.name, c]));
    let cases = byName(suite);
    expect(Number(cases.get("build")!.time)).toBeGreaterThan(0);
    expect(cases.get("build")!.skipped).toBeUndefined();
    expect(cases.get("optional")!.skipped!.message).toMatch(/^skipped/);
    expect(cases.get("approve-swap")!.skipped!.message).toContain("Swap?");
    expect(cases.get("swap")!.skipped!.message).toBe("not run: the run is paused");

    const second = runCli(["--junit", report, "-o", "json", "approve", runId], { stateDir: fx.stateDir, env });
    expect(second.code).toBe(0);
    ({ suite } = parse(report));
    cases = byName(suite);
    expect(suite.skipped).toBe("1");
    expect(cases.get("swap")!.skipped).toBeUndefined();
    expect(cases.get("approve-swap")!.skipped).toBeUndefined();
    // Written through a temporary sibling renamed over it: nothing else is left in the directory.
    expect(fs.readdirSync(path.dirname(report))).toEqual(["cutover.xml"]);
  });

  it("gives a failed step a <failure> with its message, escaped and with illegal characters removed", () => {
    const fx = fixture("ci-junit-fail");
    const pb = fx.file("fail.yaml", FAILING);
    const report = path.join(fx.dir, "junit.xml");
    const r = runCli(["run", pb, "--junit", report], { stateDir: fx.stateDir, env });
    expect(r.code).toBe(1);
    const { xml, suite } = parse(report);
    expect(xml).not.toContain(SECRET);
    expect(xml).not.toContain("\u0001");
    const check = suite.testcase.find((c) => c.name === "check")!;
    expect(check.failure!.type).toBe("STEP_FAILED");
    expect(check.failure!["#text"]).toContain("bad <&> 100%, ***");
    expect(check.failure!["#text"]).toMatch(/ctl$/);
    expect(check.failure!.message).toContain("bad <&> 100%, ***");
    expect(suite.failures).toBe("1");
    // The abort's undos are testcases too; "nothing to undo" passes.
    expect(suite.testcase.find((c) => c.name === "undo warm")).toEqual(expect.objectContaining({ time: "0.000" }));
    expect(suite.testcase.find((c) => c.name === "undo warm")!.skipped).toBeUndefined();
  });

  it("escapes the five XML specials and strips what XML 1.0 forbids", () => {
    expect(xmlText(`<a href="x">&'</a>\u0000\u0008\uFFFE\uD800ok\tok\u{1F600}`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;ok\tok\u{1F600}",
    );
  });
});
