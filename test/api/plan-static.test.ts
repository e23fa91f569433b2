/**
 * `plan` describes a step with its real inputs when they read only params
 * (the phase of a migration, the value of a flag), and with its generic
 * summary when they read anything known only at run time. A secret param is
 * never resolved into the plan.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planPlaybook } from "../../src/api/inspect.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cutover-plan-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const scripts = path.resolve("examples/migrations/users-rename");

function plan(params: Record<string, string> = {}) {
  const file = path.join(dir, "p.yaml");
  fs.writeFileSync(
    file,
    `version: 1
name: plan-static
environment:
  state: { provider: file }
  app: { provider: local }
  db: { provider: sqlite, path: ${JSON.stringify(path.join(dir, "db.sqlite"))} }
params:
  phase: { type: string, default: expand }
  mode: { type: string, default: "on" }
  token: { type: string, secret: true }
steps:
  - id: schema
    action: migrate.run
    with: { dir: ${JSON.stringify(scripts)}, phase: "\${{ params.phase }}" }
  - id: flag
    action: flag.set
    with: { target: app, name: MaintenanceMode, value: "\${{ params.mode }}" }
  - id: secret-flag
    action: flag.set
    with: { target: app, name: Token, value: "\${{ params.token }}" }
  - id: later
    action: flag.set
    with: { target: app, name: Seen, value: "\${{ steps.flag.status }}" }
`,
  );
  const { entries } = planPlaybook(file, { params, env: { CUTOVER_PARAM_TOKEN: "s3cr3t-value" } });
  return Object.fromEntries(entries.map((e) => [e.id, e]));
}

describe("plan with inputs known before the run", () => {
  it("resolves param expressions, so a migration's phase decides whether it is a point of no return", () => {
    const expand = plan();
    expect(expand.schema!.summary).toContain("'expand' scripts");
    expect(expand.schema!.pointOfNoReturn).toBe(false);
    const migrate = plan({ phase: "migrate" });
    expect(migrate.schema!.summary).toContain("'migrate' scripts");
    expect(migrate.schema!.pointOfNoReturn).toBe(true);
  });

  it("describes a step with the param's value", () => {
    expect(plan({ mode: "off" }).flag!.summary).toBe('set flag MaintenanceMode to "off" in app');
    // Describing reads the script folder only: the database is not even opened.
    expect(fs.existsSync(path.join(dir, "db.sqlite"))).toBe(false);
  });

  it("keeps the generic summary for inputs that read secrets or step results, and never shows a secret", () => {
    const entries = plan();
    expect(entries["secret-flag"]!.summary).not.toContain("s3cr3t-value");
    expect(entries["secret-flag"]!.summary).not.toContain("Token");
    expect(entries.later!.summary).not.toContain("Seen");
    expect(JSON.stringify(entries)).not.toContain("s3cr3t-value");
  });
});
