/** The example playbooks in examples/migrations/ (quoted in docs/migrations.md) pass the real playbook validation. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPlaybook } from "../../src/playbook/validate.js";
import { registries } from "../../src/runtime.js";

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../examples/migrations");

describe("example migration playbooks", () => {
  it.each(["shop-v2.yaml", "shop-v2-cleanup.yaml"])("%s validates", (file) => {
    const loaded = loadPlaybook(path.join(EXAMPLES, file), registries);
    expect(loaded.playbook.steps.some((s) => "action" in s && String(s.action).startsWith("migrate."))).toBe(true);
  });
});

describe("migrate step validation", () => {
  it("rejects an unknown field and a bad phase with the playbook's located problems", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const os = await import("node:os");
    const dir = mkdtempSync(path.join(os.tmpdir(), "cutover-pb-"));
    const file = path.join(dir, "bad.yaml");
    writeFileSync(
      file,
      "version: 1\nname: bad\nenvironment:\n  db: { provider: sqlite, path: x.db }\nsteps:\n  - id: m\n    " +
        "action: migrate.run\n    with: { dir: m, phase: cleanup, acknowlege: [X] }\n",
    );
    try {
      expect(() => loadPlaybook(file, registries)).toThrow(/phase|acknowlege/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("migrate.run describe() for plan", () => {
  it("summarises the phase's scripts, transactions, risks, checks and preserved data without a database", async () => {
    const { migrateRun } = await import("../../src/actions/migrate-run.js");
    const line = migrateRun.describe!(
      migrateRun.with.parse({
        dir: "users-rename",
        phase: "expand",
        acknowledge: ["E_X"],
        preserve: [{ table: "users" }],
      }),
      { baseDir: EXAMPLES, environment: {} },
    );
    expect(line).toBe(
      "apply pending 'expand' scripts from users-rename (4 in the folder; without transaction: " +
        "0004_index_full_name.expand.sql); 1 compatibility check(s) first; acknowledged: E_X; verify preserved " +
        "data: users",
    );
    const contract = migrateRun.describe!(migrateRun.with.parse({ dir: "users-rename", phase: "contract" }), {
      baseDir: EXAMPLES,
      environment: {},
    });
    expect(contract).toContain("risky: 0005_drop_name.contract.sql");
    expect(contract).toContain("needs the previous version retired");
  });
});
