/**
 * Defect 5: an action whose target offers a capability of the same name but a different interface.
 * `local.swap` drives the local proxy (status, setLive); an `nginx` entry rewrites an include file.
 * Both used to offer `lb`, so `validate` passed and `run` failed inside the action with
 * `[INTERNAL] client.status is not a function`. Validation must refuse it, located, before anything runs.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuilt, runCli, tmpProject } from "../support/cli.js";

const playbook = `version: 1
name: mismatch
environment:
  lb:
    provider: nginx
    upstreamFile: upstream.conf
    slots: { blue: ["127.0.0.1:1"], green: ["127.0.0.1:2"] }
    publicUrl: http://127.0.0.1:3
steps:
  - id: swap
    action: local.swap
    with: { target: lb }
`;

let p: ReturnType<typeof tmpProject>;
beforeAll(() => {
  requireBuilt();
  p = tmpProject({ "playbook.yaml": playbook });
});
afterAll(() => p.cleanup());

describe("an action whose target offers another interface", () => {
  it("validate refuses it at the step's target, saying what was expected and who offers it", () => {
    const r = runCli(["validate", "playbook.yaml"], { cwd: p.dir });
    expect(r.code).toBe(2);
    // file:line:col of `target: lb` (line 12, column 21), the field
    // path, what local.swap needs and which providers offer it.
    expect(r.stderr).toContain("playbook.yaml:12:21");
    expect(r.stderr).toContain("steps[0].with.target");
    expect(r.stderr).toMatch(/provider nginx\) does not provide local-proxy, which local\.swap needs/);
    expect(r.stderr).toMatch(/providers that do: local\b/);
    expect(r.stderr).not.toContain("INTERNAL");
  });

  it("run refuses it with exit 2 before taking the lease or touching anything", () => {
    const r = runCli(["run", "playbook.yaml"], { cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not provide local-proxy");
    expect(r.stderr).not.toContain("is not a function");
    expect(fs.existsSync(path.join(p.dir, ".cutover"))).toBe(false);
    expect(fs.existsSync(path.join(p.dir, "upstream.conf"))).toBe(false);
  });
});
