/**
 * Issue 14 item 8: matrix limits are checked when the playbook is
 * validated, located at the matrix, and sized before anything expands (a
 * 6 KB playbook with 3 × 1,000 values once made `validate` run 20 s and
 * take 3.2 GB); member ids that collide are refused at validation too.
 * Lists given as params are checked, located, before the run starts.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt } from "../support/cli.js";
import { cli, expectRefused, playbook, project } from "./helpers.js";

const values = (prefix: string, n: number) => `[${Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(", ")}]`;
const matrixStep = (matrix: string) =>
  `  - id: fan\n    action: exec\n    with: { command: ["node", "-e", "require('fs').writeFileSync('ran-marker', ` +
  `'')"] }\n    matrix: ${matrix}`;

let p: ReturnType<typeof project>;
beforeAll(() => {
  requireBuilt();
  p = project({
    "over.yaml": playbook({ step: matrixStep(`{ r: ${values("v", 1001)} }`) }),
    "cube.yaml": playbook({
      step: matrixStep(`{ a: ${values("a", 1000)}, b: ${values("b", 1000)}, c: ${values("c", 1000)} }`),
    }),
    "collide.yaml": playbook({ step: matrixStep(`{ r: ["a,b", a], s: [c, "b,c"] }`) }),
    "at-limit.yaml": playbook({ step: matrixStep(`{ a: ${values("a", 10)}, b: ${values("b", 100)} }`) }),
    "param.yaml": playbook({
      params: "  regions: { type: list }",
      step: matrixStep(`{ r: "${"$"}{{ params.regions }}", s: [x, y] }`),
    }),
  });
});
afterAll(() => p?.cleanup());

describe("matrix limits at validation", () => {
  it("refuses 1,001 members, located at the matrix", () => {
    expectRefused(
      cli(p.dir, ["validate", "over.yaml"]),
      "the matrix has 1001 members (r: 1001), more than the 1000 allowed",
      "over.yaml:7:13: steps[0].matrix",
    );
  });

  it("refuses 3 × 1,000 values from their sizes, without expanding a billion members", () => {
    expect(fs.statSync(p.file("cube.yaml")).size).toBeLessThan(20_000);
    const r = cli(p.dir, ["validate", "cube.yaml"], { timeoutMs: 15_000 });
    expectRefused(r, "the matrix has 1000000000 members (a: 1000 × b: 1000 × c: 1000)", "cube.yaml:7:13");
  });

  it("refuses member ids that collide across keys", () => {
    expectRefused(
      cli(p.dir, ["validate", "collide.yaml"]),
      "two members of the matrix get the same id fan[a,b,c]",
      "collide.yaml:7:13",
    );
  });

  it("accepts exactly 1,000 members", () => {
    const r = cli(p.dir, ["validate", "at-limit.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("matrix lists from params", () => {
  it("refuses 501 × 2 members before the run starts, located, and runs nothing", () => {
    const regions = Array.from({ length: 501 }, (_, i) => `r${i}`).join(",");
    const r = cli(p.dir, ["run", "param.yaml", "-p", `regions=${regions}`, "--state-dir", "state"]);
    expectRefused(r, "the matrix has 1002 members (r: 501 × s: 2) with params.regions as given", "param.yaml:9:13");
    expect(fs.existsSync(p.file("ran-marker"))).toBe(false);
    expect(fs.existsSync(path.join(p.dir, "state", "runs"))).toBe(false);
  });

  it("refuses colliding members from a param list the same way", () => {
    const r = cli(p.dir, ["run", "param.yaml", "-p", "regions=a,a", "--state-dir", "state"]);
    expectRefused(r, "two members of the matrix get the same id fan[a,x]", "param.yaml:9:13");
    expect(fs.existsSync(path.join(p.dir, "state", "runs"))).toBe(false);
  });
});
